"""The LLM coach over the API, against the loopback fake server: SSE streaming on ``?stream=1``, commitments by
structured output, and the fall back to the built-in coach on a 500, a timeout or a stream cut midway."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sales_growth.settings import Settings
from tests.analysis.llm_engine.fake_server import FakeLLM, completion, error, serve, streamed
from tests.coaching.flows import FLOW, analysed_record, at_friday_morning
from tests.personas import Personas, make_app

OPENING = (
    "山本さん、おつかれさまでした。記録には「予算の確認を忘れてしまいました」とありました。"
    "次の1on1までにどうなっていたいですか？"
)


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    yield from serve()


@pytest.fixture
def llm_api(settings: Settings, fake_llm: FakeLLM) -> Iterator[TestClient]:
    """The app with the LLM coach (records are analysed by the built-in engine beforehand)."""
    llm = settings.model_copy(
        update={
            "engine": "llm",
            "llm_base_url": fake_llm.base_url,
            "llm_model": "test-model",
            "llm_max_retries": 0,
            "llm_timeout_seconds": 1.0,
        }
    )
    with TestClient(make_app(llm)) as client:
        at_friday_morning(client)
        yield client


@pytest.fixture
def dialogue(api: TestClient, llm_api: TestClient, personas: Personas, settings: Settings, fake_llm: FakeLLM) -> int:
    at_friday_morning(api)
    record = analysed_record(api, personas, settings, author="M1", member="A1")
    fake_llm.script = [completion(OPENING)]
    response = llm_api.post(f"/api/v1/one-on-ones/{record['id']}/dialogue", headers=personas.headers["A1"])
    assert response.status_code == 201
    assert response.json()["messages"][0]["content"] == OPENING
    dialogue_id: int = response.json()["id"]
    return dialogue_id


def _events(client: TestClient, personas: Personas, dialogue: int, content: str) -> list[tuple[str, Any]]:
    url = f"/api/v1/dialogues/{dialogue}/messages?stream=1"
    with client.stream("POST", url, json={"content": content}, headers=personas.headers["A1"]) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = []
    for block in raw.strip().split("\n\n"):
        name, data = block.split("\n", 1)
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def _history(client: TestClient, personas: Personas, dialogue: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = client.get(f"/api/v1/dialogues/{dialogue}", headers=personas.headers["A1"]).json()[
        "messages"
    ]
    return messages


def test_a_streamed_reply_arrives_as_deltas_then_done_and_is_kept(
    llm_api: TestClient, personas: Personas, dialogue: int, fake_llm: FakeLLM
) -> None:
    fake_llm.script = [streamed("「予算と決裁者を聞ける」", "ようになりたいのですね。", "何が難しかったですか？")]
    events = _events(llm_api, personas, dialogue, FLOW[0])
    assert [name for name, _ in events] == ["delta", "delta", "delta", "done"]
    text = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert done["reply"]["content"] == text
    assert (done["reply"]["engine"], done["dialogue"]["stage"]) == ("llm", "reality")
    assert _history(llm_api, personas, dialogue)[-1]["content"] == text


def test_a_failing_model_falls_back_in_the_stream_and_says_why(
    llm_api: TestClient, personas: Personas, dialogue: int, fake_llm: FakeLLM
) -> None:
    fake_llm.script = [error(500)]
    events = _events(llm_api, personas, dialogue, FLOW[0])
    assert [name for name, _ in events] == ["delta", "done"]
    reply = events[-1][1]["reply"]
    assert reply["engine"] == "local"
    assert "HTTP 500" in reply["fallback_reason"]
    assert events[0][1]["text"] == reply["content"]
    assert "いい目標ですね" in reply["content"]  # the built-in coach's reply


def test_a_stream_cut_midway_is_reset_then_the_built_in_reply_follows(
    llm_api: TestClient, personas: Personas, dialogue: int, fake_llm: FakeLLM
) -> None:
    fake_llm.script = [streamed("「予算と", "決裁者」を", "聞ける", cut_after=2)]
    events = _events(llm_api, personas, dialogue, FLOW[0])
    assert [name for name, _ in events] == ["delta", "delta", "reset", "delta", "done"]
    reply = events[-1][1]["reply"]
    assert events[3][1]["text"] == reply["content"]
    assert reply["engine"] == "local"
    assert _history(llm_api, personas, dialogue)[-1]["content"] == reply["content"]


def test_a_timeout_falls_back_without_streaming(
    llm_api: TestClient, personas: Personas, dialogue: int, fake_llm: FakeLLM
) -> None:
    def slow() -> Any:
        time.sleep(2.0)
        return completion("遅すぎる返答")

    fake_llm.script = [slow]
    response = llm_api.post(
        f"/api/v1/dialogues/{dialogue}/messages", json={"content": FLOW[0]}, headers=personas.headers["A1"]
    )
    assert response.status_code == 200
    reply = response.json()["reply"]
    assert reply["engine"] == "local"
    assert "時間内" in reply["fallback_reason"]


def test_completing_uses_the_commitments_the_model_extracted_in_the_juniors_words(
    llm_api: TestClient, personas: Personas, dialogue: int, fake_llm: FakeLLM
) -> None:
    fake_llm.script = [completion("「はい」")]
    for message in FLOW[:5]:
        llm_api.post(
            f"/api/v1/dialogues/{dialogue}/messages", json={"content": message}, headers=personas.headers["A1"]
        )
    outcome = {
        "goal": None,
        "commitments": [
            {
                "quote": FLOW[4],
                "what": "青葉電機の田中部長に電話して確認",
                "who": ["田中部長"],
                "when": "明日",
                "skill": "hearing",
            },
            {"quote": "来週中に五社へ提案書を送ります", "what": "提案書を送る"},  # never written: dropped
        ],
    }
    fake_llm.script = [completion(json.dumps(outcome, ensure_ascii=False))]
    plan = llm_api.post(f"/api/v1/dialogues/{dialogue}/complete", headers=personas.headers["A1"]).json()
    first = plan["items"][0]
    assert (first["title"], first["quote"], first["due_date"]) == (
        "青葉電機の田中部長に電話して確認",
        FLOW[4],
        "2026-11-30",
    )
    assert all(item["title"] != "提案書を送る" for item in plan["items"])
    assert fake_llm.requests[-1]["body"]["response_format"]["type"] == "json_schema"


def test_distress_never_reaches_the_model(
    llm_api: TestClient, personas: Personas, dialogue: int, fake_llm: FakeLLM
) -> None:
    asked = len(fake_llm.requests)
    events = _events(llm_api, personas, dialogue, "もう限界です。毎日しんどいです。")
    assert [name for name, _ in events] == ["delta", "done"]
    assert events[-1][1]["reply"]["engine"] == "safety"
    assert len(fake_llm.requests) == asked
