"""``POST /api/v1/dialogues/{id}/messages?stream=1``: the reply comes as Server-Sent Events and is stored by the
stream itself, after the request's own transaction has been committed and closed."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from sales_growth.settings import Settings
from tests.coaching.flows import FLOW, analysed_record, at_friday_morning, start
from tests.personas import Personas


def _events(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_a_streamed_reply_arrives_in_pieces_and_is_stored(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    at_friday_morning(api)
    record = analysed_record(api, personas, settings, author="M1", member="A1")
    dialogue = start(api, personas, record["id"])
    url = f"/api/v1/dialogues/{dialogue['id']}/messages?stream=1"
    response = api.post(url, json={"content": FLOW[0]}, headers=personas.headers["A1"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    assert events[0][0] == "delta"
    name, done = events[-1]
    assert name == "done"
    assert "".join(data["text"] for kind, data in events if kind == "delta") == done["reply"]["content"]
    history = api.get(f"/api/v1/dialogues/{dialogue['id']}", headers=personas.headers["A1"]).json()
    assert [m["role"] for m in history["messages"]] == ["coach", "member", "coach"]
    assert history["messages"][-1]["id"] == done["reply"]["id"]
    assert history["stage"] == done["dialogue"]["stage"] == "reality"
    assert api.app.state.engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # the stream's session is closed
