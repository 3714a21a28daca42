"""Coaching services where the API cannot reach: two starts of the same dialogue at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sales_growth.analysis.coach import BuiltinCoach
from sales_growth.coaching import service
from sales_growth.coaching.models import Dialogue, DialogueMessage
from sales_growth.db import utcnow
from sales_growth.settings import Settings
from tests.coaching.flows import analysed_record, at_friday_morning, start
from tests.personas import Personas


def test_a_start_that_loses_the_race_resumes_the_winners_dialogue(
    api: TestClient, personas: Personas, settings: Settings, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_friday_morning(api)
    record = analysed_record(api, personas, settings, author="M1", member="A1")
    winner = start(api, personas, record["id"])
    looked: list[int] = []

    def missed_the_first_time(session: Session, record_id: int) -> Dialogue | None:
        # The loser looked before the winner committed, so its first look found nothing.
        looked.append(record_id)
        if len(looked) == 1:
            return None
        return session.scalar(select(Dialogue).where(Dialogue.one_on_one_id == record_id))

    monkeypatch.setattr(service, "dialogue_of_record", missed_the_first_time)
    member = db_session.merge(personas.users["A1"])
    dialogue, created = service.start_dialogue(
        db_session, member, record["id"], coach=BuiltinCoach(), settings=settings, now=utcnow()
    )
    db_session.commit()
    assert (dialogue.id, created) == (winner["id"], False)
    assert db_session.scalar(select(func.count()).select_from(Dialogue)) == 1
    assert db_session.scalar(select(func.count()).select_from(DialogueMessage)) == 1  # one opening, not two
