"""``sales-growth accounts inactive|review``: the 90-day review and the monthly permissions inventory."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sales_growth.accounts.models import Role, User
from sales_growth.cli import app
from sales_growth.db import utcnow
from sales_growth.ops.models import AuditEvent
from sales_growth.settings import Settings
from tests.factories import auth_headers, make_token, make_user


def _aged(session: Session, *, role: Role = Role.MEMBER, last_login_days: int | None, created_days: int = 400) -> User:
    user = make_user(session, role=role, password=None)
    user.created_at = utcnow() - timedelta(days=created_days)
    user.last_login_at = utcnow() - timedelta(days=last_login_days) if last_login_days is not None else None
    session.commit()
    return user


def test_inactive_lists_accounts_unused_for_ninety_days(cli: CliRunner, db_session: Session) -> None:
    stale = _aged(db_session, last_login_days=120)
    never = _aged(db_session, last_login_days=None)
    recent = _aged(db_session, last_login_days=10)
    new = _aged(db_session, last_login_days=None, created_days=5)
    result = cli.invoke(app, ["accounts", "inactive"])
    assert result.exit_code == 0, result.output
    assert stale.email in result.output
    assert never.email in result.output
    assert recent.email not in result.output
    assert new.email not in result.output
    assert "2件" in result.output


def test_inactive_without_deactivate_changes_nothing(cli: CliRunner, db_session: Session) -> None:
    stale = _aged(db_session, last_login_days=120)
    cli.invoke(app, ["accounts", "inactive"])
    db_session.expire_all()
    assert db_session.get(User, stale.id).is_active  # type: ignore[union-attr]


def test_deactivate_disables_members_ends_their_tokens_and_is_audited(
    cli: CliRunner, db_session: Session, api: TestClient, settings: Settings
) -> None:
    stale = _aged(db_session, last_login_days=120)
    headers = auth_headers(make_token(db_session, stale, settings))
    result = cli.invoke(app, ["accounts", "inactive", "--days", "90", "--deactivate"])
    assert result.exit_code == 0, result.output
    assert "無効にしました" in result.output
    db_session.expire_all()
    assert not db_session.get(User, stale.id).is_active  # type: ignore[union-attr]
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user_deactivated")).one()
    assert (event.target_id, event.actor_id, event.details["reason"]) == (stale.id, None, "inactive_90_days")


def test_deactivate_reports_admins_but_never_disables_them(cli: CliRunner, db_session: Session) -> None:
    admin = _aged(db_session, role=Role.ADMIN, last_login_days=200)
    result = cli.invoke(app, ["accounts", "inactive", "--deactivate"])
    assert result.exit_code == 0, result.output
    assert admin.email in result.output
    assert "管理者のため報告のみ" in result.output
    db_session.expire_all()
    assert db_session.get(User, admin.id).is_active  # type: ignore[union-attr]


def test_the_days_option_moves_the_cutoff(cli: CliRunner, db_session: Session) -> None:
    user = _aged(db_session, last_login_days=40)
    assert user.email not in cli.invoke(app, ["accounts", "inactive"]).output
    assert user.email in cli.invoke(app, ["accounts", "inactive", "--days", "30"]).output


def test_review_lists_every_user_with_role_manager_and_last_login(cli: CliRunner, db_session: Session) -> None:
    boss = make_user(db_session, role=Role.MANAGER, email="boss@example.com", password=None)
    member = make_user(db_session, manager=boss, email="junior@example.com", password=None)
    member.last_login_at = utcnow()
    db_session.commit()
    result = cli.invoke(app, ["accounts", "review", "--csv"])
    assert result.exit_code == 0, result.output
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert set(rows) == {"boss@example.com", "junior@example.com"}
    assert rows["junior@example.com"]["manager_email"] == "boss@example.com"
    assert rows["junior@example.com"]["role"] == "member"
    assert rows["junior@example.com"]["last_login_at"]
    assert rows["boss@example.com"]["last_login_at"] == ""


def test_review_table_puts_admins_first(cli: CliRunner, db_session: Session) -> None:
    make_user(db_session, email="a-member@example.com", password=None)
    make_user(db_session, role=Role.ADMIN, email="z-admin@example.com", password=None)
    output = cli.invoke(app, ["accounts", "review"]).output
    assert output.index("z-admin@example.com") < output.index("a-member@example.com")
    assert "管理者 1人" in output
