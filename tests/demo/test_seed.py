"""``demo.service.seed`` itself: running it again adds nothing, a stopped run is finished by the next, and it refuses
what it must not overwrite, in Japanese, before anything is written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sales_growth.accounts.models import User
from sales_growth.analysis.models import AnalysisResult
from sales_growth.db import Base
from sales_growth.demo import scenario, service
from sales_growth.errors import ConflictError, InvalidInputError
from sales_growth.one_on_ones import analyses
from sales_growth.one_on_ones.models import Analysis
from sales_growth.settings import Settings
from tests.factories import make_user


def _counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def _expected() -> dict[str, int]:
    """What the scenario makes, whatever the coach says: one reply to each of the member's messages."""
    story = scenario.load()
    messages = sum(len(c.messages) for c in story.coaching)
    return {
        "users": len(story.users),
        "one_on_ones": len(story.records),
        "record_uploads": len(story.records),
        "analyses": len(story.records),
        "dialogues": len(story.coaching),
        "dialogue_messages": len(story.coaching) + 2 * messages,
        "action_plans": sum(1 for c in story.coaching if c.stage != "in_progress"),
        "action_item_comments": sum(len(c.comments) for c in story.coaching),
    }


def test_seeding_again_adds_nothing(settings: Settings, db_session: Session) -> None:
    service.seed(settings)
    before = _counts(db_session)
    again = service.seed(settings)
    assert (again.added, again.existed) == (False, True)
    assert _counts(db_session) == before
    assert {login.password for login in again.logins} == {service.DEMO_PASSWORD}


class _Interrupted:
    """An engine during which the operator presses Ctrl-C."""

    name = "local"

    def analyze(self, text: str, *, session_date: date, filename: str | None = None) -> AnalysisResult:
        raise KeyboardInterrupt


def test_a_seed_stopped_mid_analysis_is_finished_by_the_next(
    settings: Settings, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = analyses.analyzer_for
    calls: list[Any] = []

    def eighth_is_interrupted(config: Settings) -> Any:
        calls.append(config)
        return _Interrupted() if len(calls) == 8 else real(config)

    monkeypatch.setattr(analyses, "analyzer_for", eighth_is_interrupted)
    with pytest.raises(KeyboardInterrupt):
        service.seed(settings)
    assert {"running"} <= {a.status for a in db_session.scalars(select(Analysis))}  # the claim it left behind
    monkeypatch.setattr(analyses, "analyzer_for", real)
    report = service.seed(settings)
    assert (report.added, report.existed) == (True, True)
    counts = _counts(db_session)
    assert {name: counts[name] for name in _expected()} == _expected()
    runs = list(db_session.scalars(select(Analysis).order_by(Analysis.id)))
    assert {run.status for run in runs} == {"succeeded"}
    assert [run.attempts for run in runs].count(2) == 1  # the interrupted one, claimed again, not a new run


def test_an_address_someone_else_uses_is_refused_and_nothing_is_created(
    settings: Settings, db_session: Session
) -> None:
    make_user(db_session, email="murata@example.com", name="村田 健一")
    with pytest.raises(ConflictError) as refused:
        service.seed(settings)
    assert "murata@example.com" in refused.value.message
    assert "村田 健一" in refused.value.message
    assert _counts(db_session)["users"] == 1


def test_a_short_password_is_refused_before_anything_is_written(settings: Settings, db_session: Session) -> None:
    with pytest.raises(InvalidInputError) as refused:
        service.seed(settings, password="short")
    assert "8文字以上" in refused.value.message
    assert db_session.scalar(select(func.count()).select_from(User)) == 0
