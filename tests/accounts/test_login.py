"""Login over the API: lockout, enumeration, rate limit, token expiry, logout and deactivation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sales_growth.accounts.models import AuthToken, Role, User
from sales_growth.db import utcnow
from sales_growth.settings import Settings
from tests.factories import DEFAULT_PASSWORD, auth_headers, make_user
from tests.personas import make_app

TOKEN_URL = "/api/v1/auth/token"


class Clock:
    """A clock the test moves; the app reads it through ``app.state.clock``."""

    def __init__(self) -> None:
        self.now: datetime = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = make_app(settings)
    app.state.clock = clock
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def user(db_session: Session) -> User:
    return make_user(db_session, role=Role.MEMBER, email="Taro@Example.com")


def login(client: TestClient, password: str = DEFAULT_PASSWORD, email: str = "taro@example.com") -> int:
    return client.post(TOKEN_URL, json={"email": email, "password": password}).status_code


def test_correct_credentials_give_a_bearer_token_that_works(client: TestClient, user: User) -> None:
    body = client.post(TOKEN_URL, json={"email": "TARO@example.com", "password": DEFAULT_PASSWORD}).json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"]
    assert client.get("/api/v1/me", headers=auth_headers(body["access_token"])).json()["id"] == user.id


def test_unknown_email_and_wrong_password_get_the_same_401(client: TestClient, user: User) -> None:
    unknown = client.post(TOKEN_URL, json={"email": "nobody@example.com", "password": "whatever-123"})
    wrong = client.post(TOKEN_URL, json={"email": "taro@example.com", "password": "whatever-123"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_five_failures_lock_the_account_even_for_the_right_password(client: TestClient, user: User) -> None:
    assert [login(client, "wrong-password") for _ in range(5)] == [401] * 5
    response = client.post(TOKEN_URL, json={"email": "taro@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 423
    assert "30分" in response.json()["error"]["message"]


def test_the_lock_lifts_after_thirty_minutes(client: TestClient, user: User, clock: Clock) -> None:
    for _ in range(5):
        login(client, "wrong-password")
    clock.advance(minutes=29)
    assert login(client) == 423
    clock.advance(minutes=1, seconds=1)
    assert login(client) == 200


def test_a_success_resets_the_failure_count(client: TestClient, user: User) -> None:
    for _ in range(4):
        login(client, "wrong-password")
    assert login(client) == 200
    assert [login(client, "wrong-password") for _ in range(4)] == [401] * 4
    assert login(client) == 200


def test_an_admin_can_unlock_a_locked_account(client: TestClient, user: User, db_session: Session) -> None:
    for _ in range(5):
        login(client, "wrong-password")
    admin = make_user(db_session, role=Role.ADMIN)
    admin_token = client.post(TOKEN_URL, json={"email": admin.email, "password": DEFAULT_PASSWORD}).json()
    headers = auth_headers(admin_token["access_token"])
    assert client.patch(f"/api/v1/users/{user.id}", json={"unlock": True}, headers=headers).status_code == 200
    assert login(client) == 200


def test_too_many_attempts_from_one_address_get_429_with_retry_after(
    settings: Settings, clock: Clock, db_session: Session
) -> None:
    app = make_app(settings.model_copy(update={"login_attempts_per_address": 3}))
    with TestClient(app) as client:
        codes = [login(client, "wrong-password", email=f"spray{i}@example.com") for i in range(4)]
        response = client.post(TOKEN_URL, json={"email": "x@example.com", "password": "whatever-1"})
    assert codes == [401, 401, 401, 429]
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def _token(client: TestClient) -> dict[str, str]:
    body = client.post(TOKEN_URL, json={"email": "taro@example.com", "password": DEFAULT_PASSWORD}).json()
    return auth_headers(body["access_token"])


def test_a_token_idle_too_long_stops_working(client: TestClient, user: User, clock: Clock, settings: Settings) -> None:
    headers = _token(client)
    clock.advance(minutes=settings.token_idle_minutes + 1)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_use_keeps_a_token_alive_until_its_absolute_lifetime(
    client: TestClient, user: User, clock: Clock, settings: Settings
) -> None:
    headers = _token(client)
    step = settings.token_idle_minutes - 1
    elapsed = 0
    while elapsed + step < settings.token_lifetime_hours * 60:
        clock.advance(minutes=step)
        elapsed += step
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(minutes=settings.token_lifetime_hours * 60 - elapsed)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_logout_revokes_the_token(client: TestClient, user: User) -> None:
    headers = _token(client)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_deactivation_ends_existing_tokens_and_blocks_login(
    client: TestClient, user: User, db_session: Session
) -> None:
    headers = _token(client)
    admin = make_user(db_session, role=Role.ADMIN)
    admin_headers = auth_headers(
        client.post(TOKEN_URL, json={"email": admin.email, "password": DEFAULT_PASSWORD}).json()["access_token"]
    )
    client.patch(f"/api/v1/users/{user.id}", json={"is_active": False}, headers=admin_headers)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    response = client.post(TOKEN_URL, json={"email": "taro@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 401
    assert "無効" in response.json()["error"]["message"]


def test_a_deactivated_account_with_a_wrong_password_gets_the_generic_message(
    client: TestClient, db_session: Session
) -> None:
    make_user(db_session, email="gone@example.com", is_active=False)
    wrong = client.post(TOKEN_URL, json={"email": "gone@example.com", "password": "wrong-password"})
    unknown = client.post(TOKEN_URL, json={"email": "nobody@example.com", "password": "wrong-password"})
    assert wrong.json() == unknown.json()


def _last_used(db_session: Session) -> datetime:
    db_session.expire_all()
    return db_session.scalars(select(AuthToken.last_used_at)).one()


def test_token_use_is_written_back_at_most_once_a_minute(
    client: TestClient, user: User, clock: Clock, db_session: Session
) -> None:
    headers = _token(client)
    issued_at = _last_used(db_session)
    clock.advance(seconds=30)
    client.get("/api/v1/me", headers=headers)
    assert _last_used(db_session) == issued_at
    clock.advance(seconds=31)
    client.get("/api/v1/me", headers=headers)
    assert _last_used(db_session) == clock.now
