"""The login form and the cookie session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from sales_growth.accounts.deps import SESSION_COOKIE
from sales_growth.accounts.models import Role
from sales_growth.db import utcnow
from sales_growth.settings import Settings
from tests.factories import DEFAULT_PASSWORD, form_csrf_token, make_user
from tests.personas import make_app
from tests.web.browsing import assert_no_inline_code


@pytest.fixture
def email(db_session: Session) -> str:
    return make_user(db_session, email="hanako@example.com").email


def _client(settings: Settings, base_url: str = "http://testserver") -> TestClient:
    return TestClient(make_app(settings), base_url=base_url, follow_redirects=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with _client(settings) as test_client:
        yield test_client


def _post_login(client: TestClient, email: str, password: str) -> Response:
    token = form_csrf_token(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _log_in(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> str:
    response = _post_login(client, email, password)
    assert response.status_code == 303
    return response.headers["set-cookie"]


def csrf_token_for(client: TestClient) -> str:
    """The session-bound token, as a page of the logged-in browser would embed it."""
    from sales_growth.ops.security import session_token

    return session_token("test-secret-key", client.cookies.get(SESSION_COOKIE) or "")


def test_the_login_form_is_japanese_and_has_no_inline_script(client: TestClient) -> None:
    html = client.get("/login").text
    for label in ('<label for="email">メールアドレス</label>', '<label for="password">パスワード</label>', "ログイン"):
        assert label in html
    assert_no_inline_code(html)


def test_the_session_cookie_is_httponly_and_samesite_lax(client: TestClient, email: str) -> None:
    cookie = _log_in(client, email).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_the_session_cookie_is_secure_over_https(settings: Settings, email: str) -> None:
    with _client(settings, base_url="https://testserver") as client:
        assert "secure" in _log_in(client, email).lower()


def test_the_session_cookie_logs_the_browser_in(client: TestClient, email: str) -> None:
    _log_in(client, email)
    assert client.get("/api/v1/me").json()["email"] == email


def test_a_wrong_password_shows_the_form_again_with_the_generic_message(client: TestClient, email: str) -> None:
    response = _post_login(client, email, "wrong-password")
    assert response.status_code == 401
    assert "メールアドレスまたはパスワードが正しくありません" in response.text


def test_logout_ends_the_session(client: TestClient, email: str) -> None:
    _log_in(client, email)
    stolen = client.cookies.get(SESSION_COOKIE)
    token = csrf_token_for(client)
    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303
    client.cookies.set(SESSION_COOKIE, stolen or "")
    assert client.get("/api/v1/me").status_code == 401


def test_an_idle_session_expires(settings: Settings, email: str) -> None:
    app = make_app(settings)
    start = utcnow()
    moments = iter([start, start + timedelta(minutes=settings.session_idle_minutes + 1)])
    app.state.clock = lambda: next(moments)
    with TestClient(app, follow_redirects=False) as client:
        _log_in(client, email)
        assert client.get("/api/v1/me").status_code == 401


def test_a_session_expires_at_its_absolute_lifetime(settings: Settings, email: str) -> None:
    app = make_app(settings)
    now = [utcnow()]
    app.state.clock = lambda: now[0]
    with TestClient(app, follow_redirects=False) as client:
        _log_in(client, email)
        step = timedelta(minutes=settings.session_idle_minutes - 1)
        end = now[0] + timedelta(hours=settings.session_lifetime_hours)
        while now[0] + step < end:
            now[0] += step
            assert client.get("/api/v1/me").status_code == 200
        now[0] = end
        assert client.get("/api/v1/me").status_code == 401


def test_a_locked_account_is_told_so_on_the_form(client: TestClient, email: str, settings: Settings) -> None:
    for _ in range(settings.lockout_threshold):
        _post_login(client, email, "wrong-password")
    response = _post_login(client, email, DEFAULT_PASSWORD)
    assert response.status_code == 423
    assert "アカウントを一時的にロックしています" in response.text
    assert f'value="{email}"' in response.text


def test_a_deactivated_account_is_told_so_on_the_form(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, email="gone@example.com", is_active=False)
    response = _post_login(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 401
    assert "このアカウントは無効になっています。管理者にお問い合わせください。" in response.text


def test_login_returns_to_the_page_asked_for_and_never_elsewhere(client: TestClient, email: str) -> None:
    assert client.get("/home").headers["location"] == "/login?next=%2Fhome"
    html = client.get("/login?next=%2Fhome").text
    assert 'name="next" value="/home"' in html
    token = form_csrf_token(html)
    response = client.post(
        "/login", data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token, "next": "/home"}
    )
    assert response.headers["location"] == "/home"
    client.cookies.clear()
    token = form_csrf_token(client.get("/login").text)
    form = {"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token, "next": "//evil.example/"}
    assert client.post("/login", data=form).headers["location"] == "/"


def test_the_header_has_the_users_name_their_navigation_and_logout(client: TestClient, email: str) -> None:
    _log_in(client, email)
    html = client.get("/home").text
    assert "ユーザー" in html  # make_user's name
    assert '<a href="/one-on-ones/new"' in html
    assert "1on1を記録" in html
    assert "/admin/users" not in html
    assert re.search(r'<form method="post" action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token"', html)
    assert "ログアウト" in html


def test_each_role_starts_on_its_own_page(client: TestClient, db_session: Session) -> None:
    for role, start in ((Role.MEMBER, "/home"), (Role.MANAGER, "/team"), (Role.ADMIN, "/admin/users")):
        user = make_user(db_session, role=role)
        client.cookies.clear()
        _log_in(client, user.email)
        assert client.get("/").headers["location"] == start
