"""An admin's main flows in a real browser: CSV import with row errors, users, the audit log and the status."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveApp, log_in, screenshot

pytestmark = pytest.mark.slow

BAD_CSV = (
    "email,name,role,manager_email\n"
    "kato@example.com,加藤 美和,member,sato@example.com\n"
    "not-an-email,名前なし,member,\n"
    "ito@example.com,,boss,nobody@example.com\n"
)
GOOD_CSV = "email,name,role,manager_email\nkato@example.com,加藤 美和,member,sato@example.com\n"


def _give_feedback(live_app: LiveApp) -> None:
    """Ratings and a correction over the API, so that the satisfaction and accuracy KPIs have something to show."""
    records = live_app.api("GET", "/api/v1/one-on-ones?limit=3", "manager")["items"]
    for index, record in enumerate(records):
        analysis_id = record["analysis"]["id"]
        live_app.api("PUT", f"/api/v1/analyses/{analysis_id}/rating", "manager", json={"score": 4 + index % 2})
        if index == 0:
            body = {"kind": "wrong", "finding_index": 0}
            live_app.api("POST", f"/api/v1/analyses/{analysis_id}/corrections", "manager", json=body)


def _upload(page: Any, text: str) -> None:
    page.goto("/admin/users/import")
    csv = {"name": "users.csv", "mimeType": "text/csv", "buffer": text.encode("cp932")}
    page.get_by_label("CSVファイル").set_input_files(files=[csv])
    page.get_by_role("button", name="読み込んで登録").click()


def test_an_import_with_row_errors_lists_them_and_a_good_one_creates_the_users(
    new_page: Any, live_app: LiveApp
) -> None:
    page = new_page()
    log_in(page, live_app, "admin")
    _upload(page, BAD_CSV)
    problems = page.locator(".import-problems li").all_inner_texts()
    assert any(p.startswith("3行目: メールアドレスの形式") for p in problems)
    assert any(p.startswith("4行目: 名前が空です") for p in problems)
    assert page.locator("#form-errors").evaluate("element => element === document.activeElement")
    screenshot(page, "admin-import-errors")
    _upload(page, GOOD_CSV)
    assert page.get_by_text("1人を登録しました。").is_visible()
    page.goto("/admin/users")
    assert page.get_by_role("link", name="加藤 美和").is_visible()
    screenshot(page, "admin-users")


def test_the_admin_changes_a_users_manager_and_deactivates_them(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    log_in(page, live_app, "admin")
    page.goto("/admin/users/new")
    page.get_by_label("メールアドレス").fill("kimura@example.com")
    page.get_by_label("名前").fill("木村 翔")
    page.get_by_label("上司").select_option(label="佐藤 美咲（sato@example.com）")
    page.get_by_role("button", name="追加する").click()
    assert page.get_by_text("初期パスワード:").is_visible()
    page.get_by_role("link", name="このユーザーを見る").click()
    page.get_by_label("役割").select_option("manager")
    page.get_by_role("button", name="保存する").click()
    assert page.get_by_text("保存しました。").is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="アカウントを無効にする").click()
    assert page.get_by_text("アカウントを無効にしました。").is_visible()


def test_the_audit_log_filters_and_the_status_page_shows_the_kpis(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    log_in(page, live_app, "admin")
    page.goto("/admin/audit")
    page.get_by_label("操作", exact=True).select_option("login_succeeded")
    page.get_by_role("button", name="絞り込む").click()
    cells = page.locator(".audit-table tbody td:nth-child(2)").all_inner_texts()
    assert cells
    assert set(cells) == {"ログイン成功"}
    screenshot(page, "admin-audit")
    _give_feedback(live_app)
    page.goto("/admin/status")
    for title in ("平均応答時間", "エラー率", "利用者の満足度", "AIの精度", "ジョブキュー"):
        assert page.get_by_role("heading", name=title).is_visible()
    assert page.locator(".kpis .stat").all_inner_texts().count("—") == 0
    screenshot(page, "admin-status")
    assert page.csp_violations == []
