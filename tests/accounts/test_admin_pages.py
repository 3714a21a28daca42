"""The admin's account pages: users (create, change role and manager, deactivate, unlock), CSV import with row
errors, and the inactive accounts with bulk deactivation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sales_growth.accounts.models import Role, User
from sales_growth.db import utcnow
from tests.personas import PERSONA_TREE
from tests.web.browsing import Site, assert_no_inline_code

ADMIN_PAGES = ("/admin/users", "/admin/users/new", "/admin/users/import", "/admin/accounts/inactive")


def _user(site: Site, email: str) -> User:
    site.session.expire_all()
    user = site.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_the_users_page_lists_everyone_with_role_and_manager(site: Site) -> None:
    html = site.as_("admin").get("/admin/users").text
    assert "7人" in html
    assert "a1@example.com" in html
    assert "マネージャー" in html
    assert_no_inline_code(html)


@pytest.mark.parametrize("persona", sorted(set(PERSONA_TREE) - {"admin"}))
def test_admin_pages_are_refused_to_everyone_else(site: Site, persona: str) -> None:
    for path in ADMIN_PAGES:
        response = site.as_(persona).get(path)
        assert response.status_code == 403
        assert "この操作を行う権限がありません。" in response.text


def test_creating_a_user_without_a_password_shows_the_generated_one_once(site: Site) -> None:
    form = {
        "email": "Shinjin@Example.com",
        "name": "新人 三郎",
        "role": "member",
        "manager_id": str(site.personas.id("M1")),
    }
    response = site.as_("admin").post("/admin/users/new", data=form)
    assert response.status_code == 200
    assert "初期パスワード" in response.text
    user = _user(site, "shinjin@example.com")
    assert user.manager_id == site.personas.id("M1")


def test_a_duplicate_email_comes_back_with_the_message(site: Site) -> None:
    form = {"email": "a1@example.com", "name": "重複", "role": "member", "password": "long-enough-1"}
    response = site.as_("admin").post("/admin/users/new", data=form)
    assert response.status_code == 422
    assert "このメールアドレスは既に登録されています" in response.text
    assert 'value="重複"' in response.text


def test_the_admin_changes_role_and_manager(site: Site) -> None:
    a2 = site.personas.id("A2")
    form = {"name": "昇格 花子", "role": "manager", "manager_id": str(site.personas.id("M2"))}
    response = site.as_("admin").post(f"/admin/users/{a2}", data=form)
    assert response.status_code == 303
    user = _user(site, "a2@example.com")
    assert (user.name, user.role, user.manager_id) == ("昇格 花子", Role.MANAGER, site.personas.id("M2"))
    assert "保存しました。" in site.as_("admin").get(response.headers["location"]).text


def test_a_reporting_cycle_is_refused_in_japanese(site: Site) -> None:
    form = {"name": "M0", "role": "manager", "manager_id": str(site.personas.id("M1"))}
    response = site.as_("admin").post(f"/admin/users/{site.personas.id('M0')}", data=form)
    assert response.status_code == 422
    assert "上司の設定が循環します" in response.text


def test_deactivation_ends_the_sessions_of_the_account(site: Site) -> None:
    member = site.as_("A1")
    assert member.get("/home").status_code == 200
    site.as_("admin").post(f"/admin/users/{site.personas.id('A1')}/active", data={"active": "0"})
    assert not _user(site, "a1@example.com").is_active
    assert member.get("/home").headers["location"].startswith("/login")


def test_a_locked_account_can_be_unlocked(site: Site) -> None:
    user = site.personas.users["A2"]
    user.locked_until = utcnow() + timedelta(minutes=30)
    site.session.commit()
    html = site.as_("admin").get(f"/admin/users/{user.id}").text
    assert "ロック中" in html
    assert "ロックを解除する" in html
    site.as_("admin").post(f"/admin/users/{user.id}/unlock")
    assert _user(site, "a2@example.com").locked_until is None


def test_a_csv_with_row_errors_lists_each_line_and_creates_no_one(site: Site) -> None:
    csv = (
        "email,name,role,manager_email\n"
        "new1@example.com,新人一,member,m1@example.com\n"
        "not-an-email,名前,member,\n"
        "new3@example.com,,boss,nobody@example.com\n"
    )
    files = {"file": ("users.csv", csv.encode("cp932"), "text/csv")}
    response = site.as_("admin").post("/admin/users/import", files=files)
    assert response.status_code == 422
    problems = re.findall(r"<li>(\d+行目: [^<]+)</li>", response.text)
    assert any(p.startswith("3行目: メールアドレスの形式") for p in problems)
    assert any(p.startswith("4行目: 名前が空です") for p in problems)
    assert any("4行目: 役割は member / manager / admin" in p for p in problems)
    assert any("4行目: 上司が見つかりません" in p for p in problems)
    assert "1人も登録していません" in response.text
    assert site.session.scalar(select(func.count()).select_from(User)) == len(PERSONA_TREE)


def test_a_good_csv_creates_everyone_and_shows_generated_passwords(site: Site) -> None:
    csv = (
        "email,name,role,manager_email,password\n"
        "boss@example.com,課長,manager,,\n"
        "new@example.com,新人,member,boss@example.com,long-password-1\n"
    )
    response = site.as_("admin").post("/admin/users/import", files={"file": ("u.csv", csv.encode(), "text/csv")})
    assert response.status_code == 200
    assert "2人を登録しました。" in response.text
    table = response.text.split("<caption>登録したユーザー", 1)[1].split("</table>", 1)[0]
    assert table.count("<code>") == 1  # only the row without a password got one
    assert _user(site, "new@example.com").manager_id == _user(site, "boss@example.com").id


def test_inactive_accounts_are_listed_and_deactivated_in_bulk(site: Site) -> None:
    old = utcnow() - timedelta(days=120)
    for name in ("A1", "A2", "admin"):
        site.personas.users[name].last_login_at = old
    for user in site.personas.users.values():
        user.created_at = old
    site.session.commit()
    html = site.as_("admin").get("/admin/accounts/inactive").text
    assert "a1@example.com" in html
    assert "管理者は対象外" in html
    chosen = [str(site.personas.id("A1")), str(site.personas.id("admin"))]
    response = site.as_("admin").post("/admin/accounts/inactive", data={"days": "90", "user_id": chosen})
    assert response.status_code == 303
    assert not _user(site, "a1@example.com").is_active
    assert _user(site, "a2@example.com").is_active  # not ticked
    assert _user(site, "admin@example.com").is_active  # admins are never deactivated this way
