"""Security headers, CSRF on cookie-authenticated state changes, and rate limits with 429 and Retry-After."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sales_growth.accounts.deps import SESSION_COOKIE
from sales_growth.accounts.models import TokenKind
from sales_growth.accounts.ratelimit import RedisRateLimiter
from sales_growth.one_on_ones.models import OneOnOne
from sales_growth.ops.models import AuditEvent
from sales_growth.ops.security import session_token
from sales_growth.settings import Settings
from tests.factories import DEFAULT_PASSWORD, form_csrf_token, make_token, make_user
from tests.personas import Personas, make_app

RECORD = {"held_on": "2026-11-02", "content": "今日は予算の確認を忘れてしまいました。次回は最初に聞きます。"}


# --- headers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/health", "/api/v1/me", "/no-such-page"])
def test_every_response_carries_the_security_headers(api: TestClient, path: str) -> None:
    headers = api.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


def test_hsts_is_sent_over_https(settings: Settings) -> None:
    with TestClient(make_app(settings), base_url="https://testserver") as client:
        assert client.get("/health").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_login_page_has_no_inline_script_or_style(api: TestClient) -> None:
    html = api.get("/login").text
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all('src="/static/' in tag for tag in scripts)
    assert "<style" not in html
    assert "style=" not in html


# --- CSRF ------------------------------------------------------------------------------------------------------


@pytest.fixture
def browser(settings: Settings, personas: Personas, db_session: Session) -> Iterator[TestClient]:
    """M1 logged in by the session cookie, as a browser is."""
    with TestClient(make_app(settings), follow_redirects=False) as client:
        value = make_token(db_session, personas.users["M1"], settings, kind=TokenKind.SESSION)
        client.cookies.set(SESSION_COOKIE, value)
        yield client


def _record(personas: Personas) -> dict[str, object]:
    return {**RECORD, "member_id": personas.id("A1")}


def _count(db_session: Session) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(OneOnOne)) or 0


def test_a_cookie_authenticated_post_without_a_token_is_refused(
    browser: TestClient, personas: Personas, db_session: Session
) -> None:
    response = browser.post("/api/v1/one-on-ones", json=_record(personas))
    assert response.status_code == 403
    assert "再読み込み" in response.json()["error"]["message"]
    assert _count(db_session) == 0


def test_the_session_bound_token_in_the_header_is_accepted(
    browser: TestClient, personas: Personas, db_session: Session
) -> None:
    token = session_token("test-secret-key", browser.cookies[SESSION_COOKIE])
    response = browser.post("/api/v1/one-on-ones", json=_record(personas), headers={"X-CSRF-Token": token})
    assert response.status_code == 201
    assert _count(db_session) == 1


def test_the_token_in_a_multipart_form_field_is_accepted(browser: TestClient, personas: Personas) -> None:
    token = session_token("test-secret-key", browser.cookies[SESSION_COOKIE])
    data = {"member_id": str(personas.id("A1")), "held_on": "2026-11-02", "csrf_token": token}
    files = {"file": ("memo.txt", RECORD["content"].encode(), "text/plain")}
    assert browser.post("/api/v1/one-on-ones", data=data, files=files).status_code == 201


def test_a_token_of_another_session_is_refused(browser: TestClient, personas: Personas) -> None:
    other = session_token("test-secret-key", "someone-elses-session")
    response = browser.patch(f"/api/v1/users/{personas.id('A1')}", json={"name": "x"}, headers={"X-CSRF-Token": other})
    assert response.status_code == 403


def test_put_patch_and_delete_need_the_token_too(browser: TestClient) -> None:
    assert browser.delete("/api/v1/one-on-ones/1").status_code == 403
    assert browser.patch("/api/v1/one-on-ones/1", json={}).status_code == 403


def test_bearer_token_calls_need_no_csrf_token(api: TestClient, personas: Personas) -> None:
    assert api.post("/api/v1/one-on-ones", json=_record(personas), headers=personas.headers["M1"]).status_code == 201


def test_a_refused_request_is_audited(browser: TestClient, db_session: Session) -> None:
    browser.post("/logout")
    db_session.expire_all()
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "permission_denied")).one()
    assert event.details["reason"] == "csrf"


def test_the_login_form_needs_its_pre_session_token(api: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    refused = api.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 403
    token = form_csrf_token(api.get("/login").text)
    data = {"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    assert api.post("/login", data=data, follow_redirects=False).status_code == 303


def test_a_pre_session_token_works_only_with_its_own_cookie(settings: Settings, db_session: Session) -> None:
    user = make_user(db_session)
    with TestClient(make_app(settings)) as attacker, TestClient(make_app(settings)) as victim:
        token = form_csrf_token(attacker.get("/login").text)
        victim.get("/login")
        data = {"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
        assert victim.post("/login", data=data).status_code == 403


# --- rate limits -----------------------------------------------------------------------------------------------


def test_one_account_is_throttled_whoever_tries_it(settings: Settings, db_session: Session) -> None:
    make_user(db_session, email="target@example.com")
    app = make_app(settings.model_copy(update={"login_attempts_per_account": 3}))
    with TestClient(app) as client:
        codes = [
            client.post("/api/v1/auth/token", json={"email": "target@example.com", "password": "x"}).status_code
            for _ in range(4)
        ]
        other = client.post("/api/v1/auth/token", json={"email": "other@example.com", "password": "x"})
    assert codes == [401, 401, 401, 429]
    assert other.status_code == 401
    db_session.expire_all()
    limited = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "rate_limited")).one()
    assert limited.details == {"limit": "login", "scope": "account"}


def test_record_creation_is_limited_per_user_with_retry_after(settings: Settings, personas: Personas) -> None:
    app = make_app(settings.model_copy(update={"expensive_requests_per_user": 2}))
    with TestClient(app) as client:
        responses = [
            client.post("/api/v1/one-on-ones", json=_record(personas), headers=personas.headers["M1"]) for _ in range(3)
        ]
        record_id = responses[0].json()["id"]
        # Re-analysis shares the budget.
        limited = client.post(f"/api/v1/one-on-ones/{record_id}/analysis", headers=personas.headers["M1"])
        admin = client.post("/api/v1/one-on-ones", json=_record(personas), headers=personas.headers["admin"])
    assert [response.status_code for response in responses] == [201, 201, 429]
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert admin.status_code == 201


@pytest.mark.redis
def test_redis_limiters_in_two_processes_share_one_window(redis_url: str) -> None:
    name = f"test-{uuid.uuid4().hex}"
    first, second = (
        RedisRateLimiter(redis.Redis.from_url(redis_url), name=name, limit=3, window_seconds=10) for _ in range(2)
    )
    now = time.time()
    assert [first.hit("k", now), second.hit("k", now + 1), first.hit("k", now + 2)] == [None, None, None]
    assert second.hit("k", now + 3) == 7.0
    assert first.hit("other", now + 3) is None
    assert first.hit("k", now + 10.5) is None  # the first attempt left the window


@pytest.mark.redis
def test_login_limits_hold_across_web_processes_with_redis(
    settings: Settings, db_session: Session, redis_url: str
) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    shared = settings.model_copy(update={"redis_url": redis_url, "login_attempts_per_account": 2})
    with TestClient(make_app(shared)) as one, TestClient(make_app(shared)) as two:
        codes = [
            client.post("/api/v1/auth/token", json={"email": email, "password": "x"}).status_code
            for client in (one, two, one)
        ]
    assert codes == [401, 401, 429]


def test_a_huge_cookie_authenticated_body_is_refused_without_being_kept(browser: TestClient) -> None:
    token = session_token("test-secret-key", browser.cookies[SESSION_COOKIE])
    body = b"x" * 21_000_000
    response = browser.post("/api/v1/one-on-ones", content=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/users/9223372036854775808",
        "/api/v1/users?offset=9223372036854775808",
        "/api/v1/one-on-ones?member_id=99999999999999999999",
        "/api/v1/audit-events?offset=9223372036854775808",
    ],
)
def test_numbers_beyond_the_database_are_a_japanese_422_not_a_500(
    api: TestClient, personas: Personas, url: str
) -> None:
    response = api.get(url, headers=personas.headers["admin"])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert "Traceback" not in response.text
