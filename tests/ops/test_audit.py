"""The audit log: rows for account events, refusals that outlive their request, the admin API and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sales_growth.cli import app
from sales_growth.db import utcnow
from sales_growth.ops import audit
from sales_growth.ops.models import AuditEvent
from sales_growth.settings import Settings
from tests.factories import DEFAULT_PASSWORD, form_csrf_token, make_user
from tests.personas import Personas

TOKEN_URL = "/api/v1/auth/token"


def _events(session: Session, action: str | None = None) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))


def test_a_login_is_recorded_with_the_user_and_the_address(api: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    assert api.post(TOKEN_URL, json={"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    (event,) = _events(db_session, "login_succeeded")
    assert (event.actor_id, event.target_id, event.outcome) == (user.id, user.id, "success")
    assert event.address == "testclient"
    assert event.request_id


def test_a_failed_login_is_recorded_although_the_request_fails(api: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    response = api.post(TOKEN_URL, json={"email": user.email, "password": "wrong-password"})
    assert response.status_code == 401
    (event,) = _events(db_session, "login_failed")
    assert event.target_id == user.id
    assert event.outcome == "failure"
    assert event.details == {"reason": "wrong_password", "count": 1}
    assert event.request_id == response.headers["X-Request-ID"]


def test_a_failed_form_login_is_recorded_too(api: TestClient, db_session: Session) -> None:
    make_user(db_session, email="form@example.com")
    token = form_csrf_token(api.get("/login").text)
    data = {"email": "form@example.com", "password": "wrong-password", "csrf_token": token}
    assert api.post("/login", data=data).status_code == 401
    assert len(_events(db_session, "login_failed")) == 1


def test_an_unknown_email_is_recorded_without_the_password(api: TestClient, db_session: Session) -> None:
    api.post(TOKEN_URL, json={"email": "nobody@example.com", "password": "secret-guess-1"})
    (event,) = _events(db_session, "login_failed")
    assert event.target_id is None
    assert "secret-guess-1" not in str(event.details)


def test_the_fifth_failure_records_the_lockout(api: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    for _ in range(5):
        api.post(TOKEN_URL, json={"email": user.email, "password": "wrong-password"})
    (locked,) = _events(db_session, "account_locked")
    assert locked.target_id == user.id
    assert "until" in locked.details


def test_logout_is_recorded_for_the_user_of_the_token(api: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    token = api.post(TOKEN_URL, json={"email": user.email, "password": DEFAULT_PASSWORD}).json()["access_token"]
    api.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    (event,) = _events(db_session, "logout")
    assert event.actor_id == user.id


def test_a_refused_admin_action_is_recorded_as_a_denial(
    api: TestClient, personas: Personas, db_session: Session
) -> None:
    body = {"email": "x@example.com", "name": "X", "role": "member", "password": "long-enough-1"}
    assert api.post("/api/v1/users", json=body, headers=personas.headers["A1"]).status_code == 403
    (event,) = _events(db_session, "permission_denied")
    assert event.actor_id == personas.id("A1")
    assert event.outcome == "denied"
    assert event.details["path"] == "/api/v1/users"
    assert event.details["method"] == "POST"


def test_admin_changes_to_a_user_are_recorded_one_by_one(
    api: TestClient, personas: Personas, db_session: Session
) -> None:
    change = {"role": "manager", "manager_id": personas.id("M2"), "is_active": False}
    response = api.patch(f"/api/v1/users/{personas.id('A1')}", json=change, headers=personas.headers["admin"])
    assert response.status_code == 200
    actions = {event.action: event for event in _events(db_session)}
    assert actions["role_changed"].details == {"old": "member", "new": "manager"}
    assert actions["manager_changed"].details == {"old": personas.id("M1"), "new": personas.id("M2")}
    assert actions["user_deactivated"].target_id == personas.id("A1")
    assert {actions[name].actor_id for name in ("role_changed", "manager_changed", "user_updated")} == {
        personas.id("admin")
    }


def test_a_creation_that_fails_leaves_no_event(api: TestClient, personas: Personas, db_session: Session) -> None:
    body = {"email": "a1@example.com", "name": "X", "role": "member", "password": "long-enough-1"}
    assert api.post("/api/v1/users", json=body, headers=personas.headers["admin"]).status_code == 409
    assert _events(db_session, "user_created") == []


def test_an_unknown_action_is_a_programming_error(db_session: Session) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record_event("something_new", session=db_session)


def test_details_that_could_hold_secrets_or_record_text_are_dropped(db_session: Session) -> None:
    event = audit.record_event(
        "safety_event", session=db_session, actor_id=1, target_id=2, password="p", content="本文", category="x"
    )
    assert event.details == {"category": "x"}
    assert event.target_type is None


# --- GET /api/v1/audit-events ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["M0", "M1", "A1"])
def test_only_admins_read_the_audit_log(api: TestClient, personas: Personas, persona: str) -> None:
    assert api.get("/api/v1/audit-events", headers=personas.headers[persona]).status_code == 403


def _seed(db_session: Session, personas: Personas) -> None:
    now = utcnow()
    for days, action, actor in [(3, "login_succeeded", "A1"), (2, "login_failed", None), (1, "login_succeeded", "B1")]:
        event = audit.record_event(action, session=db_session, actor_id=personas.id(actor) if actor else None)
        event.occurred_at = now - timedelta(days=days)
    db_session.commit()


def test_the_audit_log_filters_by_action_and_actor(api: TestClient, personas: Personas, db_session: Session) -> None:
    _seed(db_session, personas)
    headers = personas.headers["admin"]
    logins = api.get("/api/v1/audit-events", params={"action": "login_succeeded"}, headers=headers).json()
    assert logins["total"] == 2
    assert [item["actor_id"] for item in logins["items"]] == [personas.id("B1"), personas.id("A1")]
    by_actor = api.get("/api/v1/audit-events", params={"actor_id": personas.id("A1")}, headers=headers).json()
    assert [item["action"] for item in by_actor["items"]] == ["login_succeeded"]


def test_the_audit_log_filters_by_time_and_pages(api: TestClient, personas: Personas, db_session: Session) -> None:
    _seed(db_session, personas)
    headers = personas.headers["admin"]
    since = (utcnow() - timedelta(days=2, hours=12)).isoformat()
    recent = api.get("/api/v1/audit-events", params={"since": since, "limit": 1}, headers=headers).json()
    assert recent["total"] == 2
    assert [item["action"] for item in recent["items"]] == ["login_succeeded"]
    second = api.get("/api/v1/audit-events", params={"since": since, "limit": 1, "offset": 1}, headers=headers)
    assert [item["action"] for item in second.json()["items"]] == ["login_failed"]


def test_an_unknown_action_filter_is_a_japanese_422(api: TestClient, personas: Personas) -> None:
    response = api.get("/api/v1/audit-events", params={"action": "nope"}, headers=personas.headers["admin"])
    assert response.status_code == 422
    assert "不明な操作種別" in response.json()["error"]["message"]


# --- sales-growth audit export ---------------------------------------------------------------------------------


def test_export_writes_the_events_since_a_date_as_csv(
    cli: CliRunner, settings: Settings, db_session: Session, tmp_path: Path
) -> None:
    user = make_user(db_session, email="exported@example.com")
    old = audit.record_event("login_succeeded", session=db_session, actor_id=user.id)
    old.occurred_at = utcnow() - timedelta(days=30)
    audit.record_event("login_failed", session=db_session, target_id=user.id, reason="wrong_password")
    db_session.commit()
    out = tmp_path / "audit.csv"
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    result = cli.invoke(app, ["audit", "export", "--since", since, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row["action"] for row in rows] == ["login_failed"]
    assert rows[0]["target_id"] == str(user.id)
    assert "1件" in result.output


def test_export_is_itself_recorded(cli: CliRunner, db_session: Session) -> None:
    result = cli.invoke(app, ["audit", "export", "--since", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("id,occurred_at,action")
    (event,) = _events(db_session, "audit_exported")
    assert event.address == "cli"


def test_export_refuses_an_unreadable_date_in_japanese(cli: CliRunner) -> None:
    result = cli.invoke(app, ["audit", "export", "--since", "yesterday"])
    assert result.exit_code == 1
    assert "日時を読み取れません" in result.output


def test_each_event_is_also_a_log_line_with_its_safe_details(db_session: Session) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        audit.record_event(
            "safety_event",
            session=db_session,
            actor_id=3,
            target_id=9,
            target_type="dialogue",
            level="crisis",
            text="x",
        )
    (line,) = [entry for entry in logs if entry.get("action") == "safety_event"]
    assert (line["actor_id"], line["target_id"], line["level"]) == (3, 9, "crisis")
    assert "text" not in line
