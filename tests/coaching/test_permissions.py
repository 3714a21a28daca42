"""Every coaching route by every persona: exactly the status the policy says, and invisible is 404 like missing.

The dialogue is A1's own: managers get 404 on it, admins see that it exists and its status, never its text.
The plan is visible to A1, the managers above A1 (M1 and M0) and admins; only A1 changes it; managers and admins
comment on it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sales_growth.settings import Settings
from tests.coaching.flows import FLOW, analysed_record, at_friday_morning, complete, say, start
from tests.personas import PERSONA_TREE, Personas

EVERYONE = list(PERSONA_TREE)
START = {"A1": 201, "admin": 403, "M0": 403, "M1": 403, "A2": 404, "M2": 404, "B1": 404}
DIALOGUE_READ = {"A1": 200, "admin": 200, "M0": 404, "M1": 404, "A2": 404, "M2": 404, "B1": 404}
DIALOGUE_WRITE = {"A1": 200, "admin": 403, "M0": 404, "M1": 404, "A2": 404, "M2": 404, "B1": 404}
PLAN_READ = {"A1": 200, "admin": 200, "M0": 200, "M1": 200, "A2": 404, "M2": 404, "B1": 404}
PLAN_WRITE = {"A1": 200, "admin": 403, "M0": 403, "M1": 403, "A2": 404, "M2": 404, "B1": 404}
COMMENT = {"A1": 403, "admin": 201, "M0": 201, "M1": 201, "A2": 404, "M2": 404, "B1": 404}
TEAM = {"A1": 403, "admin": 200, "M0": 200, "M1": 200, "A2": 403, "M2": 200, "B1": 403}
TEAM_MEMBERS = {
    "admin": {"M0", "M1", "A1", "A2", "M2", "B1"},
    "M0": {"M1", "A1", "A2"},
    "M1": {"A1", "A2"},
    "M2": {"B1"},
}


@pytest.fixture
def a1(api: TestClient, personas: Personas, settings: Settings) -> dict[str, Any]:
    """A1's analysed record (by M1), A1's dialogue up to two commitments, and the draft plan it produced."""
    at_friday_morning(api)
    record = analysed_record(api, personas, settings, author="M1", member="A1")
    dialogue = start(api, personas, record["id"])
    for message in FLOW[:8]:
        say(api, personas, dialogue["id"], message)
    plan = complete(api, personas, dialogue["id"])
    return {"record": record["id"], "dialogue": dialogue["id"], "plan": plan["id"], "items": plan["items"]}


@pytest.fixture
def a1_open(api: TestClient, personas: Personas, settings: Settings) -> dict[str, int]:
    """A1's analysed record with an open dialogue."""
    at_friday_morning(api)
    record = analysed_record(api, personas, settings, author="M1", member="A1")
    return {"record": record["id"], "dialogue": start(api, personas, record["id"])["id"]}


@pytest.mark.parametrize("persona", EVERYONE)
def test_only_the_member_starts_their_dialogue(
    api: TestClient, personas: Personas, settings: Settings, persona: str
) -> None:
    at_friday_morning(api)
    record = analysed_record(api, personas, settings, author="M1", member="A1")
    response = api.post(f"/api/v1/one-on-ones/{record['id']}/dialogue", headers=personas.headers[persona])
    assert response.status_code == START[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_the_dialogue_text_is_the_members_alone(
    api: TestClient, personas: Personas, a1_open: dict[str, int], persona: str
) -> None:
    response = api.get(f"/api/v1/dialogues/{a1_open['dialogue']}", headers=personas.headers[persona])
    assert response.status_code == DIALOGUE_READ[persona]
    if response.status_code == 200:
        body = response.json()
        assert body["status"] == "open"
        assert (body["messages"] is None) is (persona != "A1")


def test_an_admin_sees_that_the_dialogue_exists_and_its_status_never_its_text(
    api: TestClient, personas: Personas, a1_open: dict[str, int]
) -> None:
    say(api, personas, a1_open["dialogue"], "予算を聞けるようになりたい、とても大事なことです")
    body = api.get(f"/api/v1/dialogues/{a1_open['dialogue']}", headers=personas.headers["admin"]).text
    assert '"status":"open"' in body
    assert "予算を聞けるようになりたい" not in body
    assert "おつかれさまでした" not in body  # nor the coach's words


@pytest.mark.parametrize("persona", EVERYONE)
def test_only_the_member_talks_with_the_coach(
    api: TestClient, personas: Personas, a1_open: dict[str, int], persona: str
) -> None:
    url = f"/api/v1/dialogues/{a1_open['dialogue']}/messages"
    response = api.post(url, json={"content": FLOW[0]}, headers=personas.headers[persona])
    assert response.status_code == DIALOGUE_WRITE[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_only_the_member_streams_with_the_coach(
    api: TestClient, personas: Personas, a1_open: dict[str, int], persona: str
) -> None:
    url = f"/api/v1/dialogues/{a1_open['dialogue']}/messages?stream=1"
    response = api.post(url, json={"content": FLOW[0]}, headers=personas.headers[persona])
    assert response.status_code == DIALOGUE_WRITE[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_only_the_member_completes_their_dialogue(
    api: TestClient, personas: Personas, a1_open: dict[str, int], persona: str
) -> None:
    response = api.post(f"/api/v1/dialogues/{a1_open['dialogue']}/complete", headers=personas.headers[persona])
    assert response.status_code == {200: 201}.get(DIALOGUE_WRITE[persona], DIALOGUE_WRITE[persona])


@pytest.mark.parametrize("persona", EVERYONE)
def test_the_plan_is_seen_by_the_member_their_managers_and_admins(
    api: TestClient, personas: Personas, a1: dict[str, Any], persona: str
) -> None:
    by_record = api.get(f"/api/v1/one-on-ones/{a1['record']}/action-plan", headers=personas.headers[persona])
    by_id = api.get(f"/api/v1/action-plans/{a1['plan']}", headers=personas.headers[persona])
    assert by_record.status_code == by_id.status_code == PLAN_READ[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_only_the_member_agrees_to_the_plan(
    api: TestClient, personas: Personas, a1: dict[str, Any], persona: str
) -> None:
    response = api.post(f"/api/v1/action-plans/{a1['plan']}/agree", headers=personas.headers[persona])
    assert response.status_code == PLAN_WRITE[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_only_the_member_changes_an_item(api: TestClient, personas: Personas, a1: dict[str, Any], persona: str) -> None:
    url = f"/api/v1/action-items/{a1['items'][0]['id']}"
    response = api.patch(url, json={"note": "メモ"}, headers=personas.headers[persona])
    assert response.status_code == PLAN_WRITE[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_only_the_member_drops_an_item(api: TestClient, personas: Personas, a1: dict[str, Any], persona: str) -> None:
    assert len(a1["items"]) >= 2
    response = api.delete(f"/api/v1/action-items/{a1['items'][-1]['id']}", headers=personas.headers[persona])
    assert response.status_code == {200: 204}.get(PLAN_WRITE[persona], PLAN_WRITE[persona])


@pytest.mark.parametrize("persona", EVERYONE)
def test_managers_above_and_admins_comment(
    api: TestClient, personas: Personas, a1: dict[str, Any], persona: str
) -> None:
    url = f"/api/v1/action-items/{a1['items'][0]['id']}/comments"
    response = api.post(url, json={"body": "いいね"}, headers=personas.headers[persona])
    assert response.status_code == COMMENT[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_the_previous_open_items_are_seen_with_the_record(
    api: TestClient, personas: Personas, settings: Settings, a1: dict[str, Any], persona: str
) -> None:
    body = {
        "member_id": personas.id("A1"),
        "held_on": "2026-12-10",
        "content": "上司：前回の件は？\n新人：途中です。\n",
    }
    created = api.post("/api/v1/one-on-ones", json=body, headers=personas.headers["M1"]).json()
    response = api.get(f"/api/v1/one-on-ones/{created['id']}", headers=personas.headers[persona])
    assert response.status_code == PLAN_READ[persona]
    if response.status_code == 200:
        assert len(response.json()["previous_open_items"]) == len(a1["items"])


@pytest.mark.parametrize("persona", EVERYONE)
def test_growth_follows_the_policy(api: TestClient, personas: Personas, a1: dict[str, Any], persona: str) -> None:
    response = api.get(f"/api/v1/members/{personas.id('A1')}/growth", headers=personas.headers[persona])
    assert response.status_code == PLAN_READ[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_the_team_picture_is_the_callers_subtree(api: TestClient, personas: Personas, persona: str) -> None:
    response = api.get("/api/v1/teams/me", headers=personas.headers[persona])
    assert response.status_code == TEAM[persona]
    if response.status_code == 200:
        by_email = {f"{name.lower()}@example.com": name for name in PERSONA_TREE}
        assert {by_email[row["email"]] for row in response.json()["items"]} == TEAM_MEMBERS[persona]


def test_an_invisible_dialogue_looks_exactly_like_a_missing_one(
    api: TestClient, personas: Personas, a1_open: dict[str, int]
) -> None:
    hidden = api.get(f"/api/v1/dialogues/{a1_open['dialogue']}", headers=personas.headers["M1"])
    missing = api.get("/api/v1/dialogues/999999", headers=personas.headers["M1"])
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_an_invisible_item_looks_exactly_like_a_missing_one(
    api: TestClient, personas: Personas, a1: dict[str, Any]
) -> None:
    hidden = api.patch(
        f"/api/v1/action-items/{a1['items'][0]['id']}", json={"note": "x"}, headers=personas.headers["B1"]
    )
    missing = api.patch("/api/v1/action-items/999999", json={"note": "x"}, headers=personas.headers["B1"])
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/one-on-ones/1/dialogue"),
        ("get", "/api/v1/dialogues/1"),
        ("post", "/api/v1/dialogues/1/messages"),
        ("post", "/api/v1/dialogues/1/complete"),
        ("get", "/api/v1/one-on-ones/1/action-plan"),
        ("get", "/api/v1/action-plans/1"),
        ("post", "/api/v1/action-plans/1/agree"),
        ("patch", "/api/v1/action-items/1"),
        ("delete", "/api/v1/action-items/1"),
        ("post", "/api/v1/action-items/1/comments"),
        ("get", "/api/v1/members/1/growth"),
        ("get", "/api/v1/teams/me"),
    ],
)
def test_without_login_every_coaching_route_is_refused(api: TestClient, method: str, path: str) -> None:
    assert api.request(method, path, json={}).status_code == 401
