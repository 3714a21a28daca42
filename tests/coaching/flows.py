"""Steps of the coaching flow over the API, shared by the coaching tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient

from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.one_on_ones import analyses
from sales_growth.settings import Settings
from tests.personas import Personas

# 10:00 in Tokyo on Friday 27 November 2026: 「明日」 is Monday 30 November.
FRIDAY_MORNING = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
DIALOGUE_DATE = date(2026, 11, 27)
RECORD = (
    "課長：今日は青葉電機さんの件を聞かせて。\n"
    "新人：はい。提案は聞いていただけたんですが、予算の確認を忘れてしまいました。決裁者も分かっていません。\n"
    "課長：次の訪問では必ず予算と決裁者を聞こう。資料の準備はよくできていたよ。\n"
    "新人：ありがとうございます。\n"
)
# A dialogue through GROW on the built-in coach, ending in a confirmation.
FLOW = [
    "次の商談で予算と決裁者をきちんと聞けるようになりたいです",
    "質問を用意していなくて、提案の説明に夢中になって聞きそびれました",
    "わかりません",
    "1番",
    "明日までに青葉電機の田中部長に電話して確認します",
    "予算額と決裁者の名前をメモして課長に報告できたら",
    "三日以内に質問リストを５つ作ります",
    "わからない",
    "以上です",
    "はい、お願いします",
]


def at_friday_morning(api: TestClient) -> None:
    api.app.state.clock = lambda: FRIDAY_MORNING  # type: ignore[attr-defined]


def record(
    api: TestClient, personas: Personas, *, author: str, member: str, held_on: str = "2026-11-26", content: str = RECORD
) -> dict[str, Any]:
    body = {"member_id": personas.id(member), "held_on": held_on, "content": content}
    response = api.post("/api/v1/one-on-ones", json=body, headers=personas.headers[author])
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def analyse(settings: Settings, record_body: dict[str, Any]) -> None:
    """Run the record's queued analysis now, as the worker would."""
    engine = create_db_engine(settings)
    try:
        analyses.run(create_session_factory(engine), settings, record_body["analysis"]["id"])
    finally:
        engine.dispose()


def analysed_record(api: TestClient, personas: Personas, settings: Settings, **kwargs: Any) -> dict[str, Any]:
    body = record(api, personas, **kwargs)
    analyse(settings, body)
    return body


def start(api: TestClient, personas: Personas, record_id: int, who: str = "A1") -> dict[str, Any]:
    response = api.post(f"/api/v1/one-on-ones/{record_id}/dialogue", headers=personas.headers[who])
    assert response.status_code in {200, 201}, response.text
    result: dict[str, Any] = response.json()
    return result


def say(api: TestClient, personas: Personas, dialogue_id: int, content: str, who: str = "A1") -> dict[str, Any]:
    response = api.post(
        f"/api/v1/dialogues/{dialogue_id}/messages", json={"content": content}, headers=personas.headers[who]
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def complete(api: TestClient, personas: Personas, dialogue_id: int, who: str = "A1") -> dict[str, Any]:
    response = api.post(f"/api/v1/dialogues/{dialogue_id}/complete", headers=personas.headers[who])
    assert response.status_code in {200, 201}, response.text
    result: dict[str, Any] = response.json()
    return result


def planned(api: TestClient, personas: Personas, settings: Settings, messages: list[str] = FLOW) -> dict[str, Any]:
    """A1's analysed record (recorded by M1), its dialogue through ``messages``, and the plan it produced."""
    body = analysed_record(api, personas, settings, author="M1", member="A1")
    dialogue = start(api, personas, body["id"])
    for message in messages:
        say(api, personas, dialogue["id"], message)
    plan = complete(api, personas, dialogue["id"])
    return {"record": body, "dialogue": dialogue, "plan": plan}
