"""Maintenance mode: 503 with the message and Retry-After for everyone but admins, announced windows as a banner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sales_growth.accounts.deps import SESSION_COOKIE
from sales_growth.accounts.models import TokenKind
from sales_growth.cli import app as cli_app
from sales_growth.db import utcnow
from sales_growth.ops import maintenance
from sales_growth.ops.gate import maintenance_banner
from sales_growth.ops.models import AuditEvent
from sales_growth.settings import Settings
from tests.factories import make_token
from tests.personas import Personas, make_app


@pytest.fixture
def web(settings: Settings) -> Iterator[TestClient]:
    """The app with no caching of the maintenance state, so a change shows on the next request."""
    with TestClient(make_app(settings.model_copy(update={"maintenance_cache_seconds": 0}))) as client:
        yield client


def _on(cli: CliRunner, *args: str) -> None:
    result = cli.invoke(cli_app, ["maintenance", "on", *args])
    assert result.exit_code == 0, result.output


def test_members_get_503_json_with_the_message_and_retry_after(
    cli: CliRunner, web: TestClient, personas: Personas
) -> None:
    _on(cli, "--message", "DBの移行作業中です。", "--until", (utcnow() + timedelta(hours=2)).isoformat())
    response = web.get("/api/v1/me", headers=personas.headers["A1"])
    assert response.status_code == 503
    assert "DBの移行作業中です。" in response.json()["error"]["message"]
    assert 7000 < int(response.headers["Retry-After"]) <= 7200


def test_people_on_pages_get_a_japanese_page(cli: CliRunner, web: TestClient) -> None:
    _on(cli)
    response = web.get("/")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "メンテナンス中" in response.text
    assert int(response.headers["Retry-After"]) == maintenance.DEFAULT_RETRY_SECONDS


def test_admins_keep_working_by_token_and_by_session(
    cli: CliRunner, web: TestClient, personas: Personas, db_session: Session, settings: Settings
) -> None:
    _on(cli)
    assert web.get("/api/v1/users", headers=personas.headers["admin"]).status_code == 200
    cookie = make_token(db_session, personas.users["admin"], settings, kind=TokenKind.SESSION)
    web.cookies.set(SESSION_COOKIE, cookie)
    assert web.get("/api/v1/me").status_code == 200


def test_health_and_login_stay_reachable(cli: CliRunner, web: TestClient) -> None:
    _on(cli)
    assert web.get("/health").status_code == 200
    assert web.get("/login").status_code == 200
    assert web.get("/api/v1/maintenance").json()["active"] is True


def test_off_lets_everyone_back_and_both_are_audited(
    cli: CliRunner, web: TestClient, personas: Personas, db_session: Session
) -> None:
    _on(cli, "--message", "作業中")
    assert web.get("/api/v1/me", headers=personas.headers["A1"]).status_code == 503
    assert cli.invoke(cli_app, ["maintenance", "off"]).exit_code == 0
    assert web.get("/api/v1/me", headers=personas.headers["A1"]).status_code == 200
    actions = list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["maintenance_on", "maintenance_off"]


def test_every_web_process_sees_the_state(cli: CliRunner, settings: Settings, personas: Personas) -> None:
    fast = settings.model_copy(update={"maintenance_cache_seconds": 0})
    with TestClient(make_app(fast)) as first, TestClient(make_app(fast)) as second:
        _on(cli)
        codes = {client.get("/api/v1/me", headers=personas.headers["A1"]).status_code for client in (first, second)}
    assert codes == {503}


def test_an_announcement_is_a_banner_until_the_window_ends(cli: CliRunner, web: TestClient) -> None:
    start = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    args = ["--start", start.isoformat(), "--end", (start + timedelta(hours=2)).isoformat(), "--message", "DB更新"]
    result = cli.invoke(cli_app, ["maintenance", "announce", *args])
    assert result.exit_code == 0, result.output
    body = web.get("/api/v1/maintenance").json()
    assert body["active"] is False
    assert body["banner"].startswith("メンテナンスのお知らせ: ")
    assert "DB更新" in body["banner"]
    assert maintenance_banner(_request(web)) == body["banner"]
    status = maintenance.Status(announcement_start=start, announcement_end=start + timedelta(hours=2))
    assert status.banner(start + timedelta(hours=3)) is None


def _request(client: TestClient) -> object:
    from starlette.requests import Request

    return Request({"type": "http", "app": client.app, "headers": [], "path": "/"})


def test_announce_refuses_an_end_before_the_start(cli: CliRunner) -> None:
    args = ["--start", "2026-12-10T22:00", "--end", "2026-12-10T21:00", "--message", "x"]
    result = cli.invoke(cli_app, ["maintenance", "announce", *args])
    assert result.exit_code == 1
    assert "--end は --start より後" in result.output


def test_the_banner_names_the_window_in_japan_time() -> None:
    start = utcnow().replace(year=2026, month=12, day=8, hour=13, minute=0)  # 22:00 in Tokyo, a Tuesday
    status = maintenance.Status(announcement_start=start, announcement_end=start + timedelta(hours=2))
    assert status.banner(start - timedelta(days=7)) == "メンテナンスのお知らせ: 12月8日(火) 22:00〜12月9日(水) 00:00"


def test_the_login_page_shows_the_announcement(cli: CliRunner, web: TestClient) -> None:
    start = utcnow() + timedelta(days=7)
    args = ["--start", start.isoformat(), "--end", (start + timedelta(hours=2)).isoformat(), "--message", "DB更新"]
    assert cli.invoke(cli_app, ["maintenance", "announce", *args]).exit_code == 0
    html = web.get("/login").text
    assert "メンテナンスのお知らせ" in html
    assert "DB更新" in html
