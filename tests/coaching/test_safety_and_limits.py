"""The safety path (no coaching reply, care and the people who can help, an event without the message text) and
the limits of a dialogue (turns, message length) with clear 4xx errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from sales_growth.analysis.coach.safety import KOKORO_DIAL, YORISOI_HOTLINE
from sales_growth.settings import Settings
from tests.coaching.flows import FLOW, analysed_record, at_friday_morning, complete, say, start
from tests.personas import Personas, make_app

DISTRESS = "正直もう限界です。最近は夜も眠れなくて、会社に行くのがつらいです。"


@pytest.fixture
def dialogue(api: TestClient, personas: Personas, settings: Settings) -> int:
    at_friday_morning(api)
    record = analysed_record(api, personas, settings, author="M1", member="A1")
    dialogue_id: int = start(api, personas, record["id"])["id"]
    return dialogue_id


def _safety_events(api: TestClient, personas: Personas) -> list[dict[str, Any]]:
    """The safety events of the audit log, as an admin sees them, oldest first."""
    body = api.get("/api/v1/audit-events", params={"action": "safety_event"}, headers=personas.headers["admin"]).json()
    events: list[dict[str, Any]] = sorted(body["items"], key=lambda e: e["id"])
    return events


def test_distress_stops_the_coaching_and_answers_with_care(api: TestClient, personas: Personas, dialogue: int) -> None:
    turn = say(api, personas, dialogue, DISTRESS)
    reply = turn["reply"]
    assert reply["engine"] == "safety"
    for who in (f"上司の{personas.users['M1'].name}さん", "人事", "産業医", YORISOI_HOTLINE, KOKORO_DIAL):
        assert who in reply["content"]
    assert "？" not in reply["content"]  # no coaching question
    assert turn["dialogue"]["status"] == "stopped"


def test_a_safety_event_is_recorded_without_the_message_text(
    api: TestClient, personas: Personas, dialogue: int
) -> None:
    with capture_logs() as logs:
        say(api, personas, dialogue, DISTRESS)
    (event,) = _safety_events(api, personas)
    assert (event["actor_id"], event["target_type"], event["target_id"]) == (personas.id("A1"), "dialogue", dialogue)
    assert event["details"]["level"] == "distress"
    assert set(event["details"]["cues"]) == {"at_the_limit", "sleep_and_body", "getting_to_work"}
    dumped = json.dumps([event, logs], ensure_ascii=False, default=str)
    for fragment in ("限界", "眠れ", "会社", "つらい"):
        assert fragment not in dumped


def test_thoughts_of_self_harm_are_a_crisis_with_the_emergency_number(
    api: TestClient, personas: Personas, dialogue: int
) -> None:
    reply = say(api, personas, dialogue, "もう消えたいと思うことがあります")["reply"]
    assert "119" in reply["content"]
    assert _safety_events(api, personas)[0]["details"]["level"] == "crisis"


def test_after_a_stop_the_coach_does_not_resume_coaching(api: TestClient, personas: Personas, dialogue: int) -> None:
    say(api, personas, dialogue, DISTRESS)
    later = say(api, personas, dialogue, FLOW[0])["reply"]
    assert later["engine"] == "safety"
    assert "お休みしています" in later["content"]
    assert YORISOI_HOTLINE in later["content"]
    assert len(_safety_events(api, personas)) == 1  # an ordinary message is no new event


def test_the_member_keeps_their_words_and_the_stopped_dialogue_can_still_become_a_plan(
    api: TestClient, personas: Personas, dialogue: int
) -> None:
    say(api, personas, dialogue, DISTRESS)
    history = api.get(f"/api/v1/dialogues/{dialogue}", headers=personas.headers["A1"]).json()
    assert DISTRESS in [m["content"] for m in history["messages"]]
    plan = complete(api, personas, dialogue)
    assert plan["total"] >= 1
    assert all(item["source"] == "suggested" for item in plan["items"])


def test_the_manager_learns_nothing_of_it(api: TestClient, personas: Personas, dialogue: int) -> None:
    say(api, personas, dialogue, DISTRESS)
    assert api.get(f"/api/v1/dialogues/{dialogue}", headers=personas.headers["M1"]).status_code == 404


def test_ordinary_business_words_do_not_stop_the_coaching(api: TestClient, personas: Personas, dialogue: int) -> None:
    turn = say(api, personas, dialogue, "値引きはもう限界なので、限界利益を見て提案し直したいです")
    assert turn["reply"]["engine"] == "local"
    assert turn["dialogue"]["status"] == "open"
    assert _safety_events(api, personas) == []


@pytest.fixture
def short_dialogues(settings: Settings) -> Iterator[TestClient]:
    """The app with 3 turns per dialogue and messages of at most 50 characters."""
    limited = settings.model_copy(update={"dialogue_max_turns": 3, "dialogue_message_max_chars": 50})
    with TestClient(make_app(limited)) as client:
        at_friday_morning(client)
        yield client


def test_the_turn_limit_is_a_clear_409_and_the_coach_sums_up_before_it(
    short_dialogues: TestClient, personas: Personas, settings: Settings
) -> None:
    record = analysed_record(short_dialogues, personas, settings, author="M1", member="A1")
    dialogue = start(short_dialogues, personas, record["id"])["id"]
    replies = [say(short_dialogues, personas, dialogue, m) for m in FLOW[:3]]
    assert "ここまでをまとめます" in replies[1]["reply"]["content"]  # before the last turn
    assert replies[-1]["dialogue"]["turns_left"] == 0
    response = short_dialogues.post(
        f"/api/v1/dialogues/{dialogue}/messages", json={"content": "もう一つ"}, headers=personas.headers["A1"]
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "対話は3回までです。「対話を完了」で行動計画を作ってください。"
    assert complete(short_dialogues, personas, dialogue)["total"] >= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("あ" * 51, "メッセージは50文字以内で入力してください（今は51文字です）。"),
        ("   \n ", "メッセージを入力してください。"),
    ],
)
def test_too_long_or_empty_messages_are_a_clear_422(
    short_dialogues: TestClient, personas: Personas, settings: Settings, content: str, message: str
) -> None:
    record = analysed_record(short_dialogues, personas, settings, author="M1", member="A1")
    dialogue = start(short_dialogues, personas, record["id"])["id"]
    response = short_dialogues.post(
        f"/api/v1/dialogues/{dialogue}/messages", json={"content": content}, headers=personas.headers["A1"]
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == message
    history = short_dialogues.get(f"/api/v1/dialogues/{dialogue}", headers=personas.headers["A1"]).json()
    assert history["turn_count"] == 0  # a refused message is not a turn


@pytest.mark.parametrize("body", [{}, {"content": 5}, "not json"])
def test_a_malformed_message_is_a_422_not_a_500(api: TestClient, personas: Personas, dialogue: int, body: Any) -> None:
    url = f"/api/v1/dialogues/{dialogue}/messages"
    response = (
        api.post(url, content=body, headers={**personas.headers["A1"], "Content-Type": "application/json"})
        if isinstance(body, str)
        else api.post(url, json=body, headers=personas.headers["A1"])
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"steps": []}, "steps"),
        ({"steps": ["a", "b", "c", "d", "e"]}, "steps"),
        ({"title": ""}, "title"),
        ({"status": "finished"}, "status"),
        ({"due_date": "来週"}, "due_date"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_item_changes_are_a_422_naming_the_field(
    api: TestClient, personas: Personas, dialogue: int, changes: dict[str, Any], fragment: str
) -> None:
    plan = complete(api, personas, dialogue)
    response = api.patch(f"/api/v1/action-items/{plan['items'][0]['id']}", json=changes, headers=personas.headers["A1"])
    assert response.status_code == 422
    assert fragment in {f["field"] for f in response.json()["error"]["fields"]}


def test_blank_steps_are_refused_in_japanese(api: TestClient, personas: Personas, dialogue: int) -> None:
    plan = complete(api, personas, dialogue)
    url = f"/api/v1/action-items/{plan['items'][0]['id']}"
    response = api.patch(url, json={"steps": ["  ", ""]}, headers=personas.headers["A1"])
    assert response.status_code == 422
    assert "手順は1〜4個" in response.json()["error"]["message"]
