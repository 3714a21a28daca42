"""The login form and the cookie session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from sales_growth.accounts.deps import SESSION_COOKIE
from sales_growth.db import utcnow
from sales_growth.settings import Settings
from tests.factories import DEFAULT_PASSWORD, form_csrf_token, make_user
from tests.personas import make_app


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
    for label in ("メールアドレス", "パスワード", "ログイン"):
        assert label in html
    assert "<script" not in html


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
