"""The whole coaching flow over the API on the built-in coach: start → turns → complete → agree → update items →
manager comments → the next record lists the open items → its analysis notes their progress → growth and team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sales_growth.settings import Settings
from tests.coaching.flows import (
    DIALOGUE_DATE,
    FLOW,
    analyse,
    analysed_record,
    at_friday_morning,
    planned,
    record,
    say,
    start,
)
from tests.personas import Personas


@pytest.fixture(autouse=True)
def _friday(api: TestClient) -> None:
    at_friday_morning(api)


def _analysis(api: TestClient, personas: Personas, record_id: int) -> dict[str, Any]:
    response = api.get(f"/api/v1/one-on-ones/{record_id}/analysis", headers=personas.headers["A1"])
    result: dict[str, Any] = response.json()["result"]
    return result


def test_the_dialogue_opens_with_this_records_findings_and_their_evidence(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    body = analysed_record(api, personas, settings, author="M1", member="A1")
    response = api.post(f"/api/v1/one-on-ones/{body['id']}/dialogue", headers=personas.headers["A1"])
    assert response.status_code == 201
    dialogue = response.json()
    assert (dialogue["status"], dialogue["stage"], dialogue["dialogue_date"]) == ("open", "goal", str(DIALOGUE_DATE))
    (opening,) = dialogue["messages"]
    assert opening["role"] == "coach"
    result = _analysis(api, personas, body["id"])
    primary = next(f for f in result["findings"] if f["skill"] == result["primary_challenge"])
    assert primary["evidence"].rstrip("。") in opening["content"]
    strengths = [f for f in result["findings"] if f["polarity"] == "strength"]
    assert any(f["evidence"].rstrip("。") in opening["content"] for f in strengths)


def test_starting_again_resumes_the_open_dialogue(api: TestClient, personas: Personas, settings: Settings) -> None:
    body = analysed_record(api, personas, settings, author="M1", member="A1")
    first = start(api, personas, body["id"])
    say(api, personas, first["id"], FLOW[0])
    again = api.post(f"/api/v1/one-on-ones/{body['id']}/dialogue", headers=personas.headers["A1"])
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert [m["role"] for m in again.json()["messages"]] == ["coach", "member", "coach"]


def test_a_dialogue_waits_for_the_analysis(api: TestClient, personas: Personas) -> None:
    body = record(api, personas, author="M1", member="A1")  # queued, not analysed
    response = api.post(f"/api/v1/one-on-ones/{body['id']}/dialogue", headers=personas.headers["A1"])
    assert response.status_code == 409
    assert "分析が終わってから" in response.json()["error"]["message"]


def test_turns_move_through_grow_and_the_history_keeps_every_message(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    body = analysed_record(api, personas, settings, author="M1", member="A1")
    dialogue = start(api, personas, body["id"])
    stages = [say(api, personas, dialogue["id"], m)["dialogue"]["stage"] for m in FLOW]
    assert stages[0] == "reality"
    assert stages[-2:] == ["confirm", "closed"]
    history = api.get(f"/api/v1/dialogues/{dialogue['id']}", headers=personas.headers["A1"]).json()
    assert len(history["messages"]) == 1 + 2 * len(FLOW)
    assert [m["content"] for m in history["messages"] if m["role"] == "member"] == FLOW
    assert history["turn_count"] == len(FLOW)
    assert history["turns_left"] == 20 - len(FLOW)


def test_completing_makes_a_draft_plan_from_the_juniors_commitments_and_the_analysis(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    assert plan["status"] == "draft"
    assert 1 <= plan["total"] <= 6
    first, second = plan["items"][:2]
    assert first["title"] == "青葉電機の田中部長に電話して確認します"
    assert first["source"] == "commitment"
    assert first["quote"] == "明日までに青葉電機の田中部長に電話して確認します"
    assert first["due_date"] == "2026-11-30"  # 「明日」 on a Friday
    assert first["who"] == ["青葉電機", "田中部長"]
    assert first["success_metric"] == "予算額と決裁者の名前をメモして課長に報告できたら"
    assert (second["how_many"], second["due_date"]) == ("５つ", "2026-12-02")
    for item in plan["items"]:
        assert item["status"] == "todo"
        assert item["title"]
        assert item["success_metric"]
        assert 1 <= len(item["steps"]) <= 4


def test_completing_twice_returns_the_same_plan(api: TestClient, personas: Personas, settings: Settings) -> None:
    flow = planned(api, personas, settings)
    again = api.post(f"/api/v1/dialogues/{flow['dialogue']['id']}/complete", headers=personas.headers["A1"])
    assert again.status_code == 200
    assert again.json()["id"] == flow["plan"]["id"]
    dialogue = api.get(f"/api/v1/dialogues/{flow['dialogue']['id']}", headers=personas.headers["A1"]).json()
    assert (dialogue["status"], dialogue["plan_id"]) == ("completed", flow["plan"]["id"])


def test_a_completed_dialogue_takes_no_more_messages(api: TestClient, personas: Personas, settings: Settings) -> None:
    flow = planned(api, personas, settings, messages=FLOW[:2])
    response = api.post(
        f"/api/v1/dialogues/{flow['dialogue']['id']}/messages",
        json={"content": "もう一つ"},
        headers=personas.headers["A1"],
    )
    assert response.status_code == 409
    assert "完了しています" in response.json()["error"]["message"]


def test_progress_needs_agreement_then_the_member_updates_items(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    item = plan["items"][0]
    url = f"/api/v1/action-items/{item['id']}"
    early = api.patch(url, json={"status": "done"}, headers=personas.headers["A1"])
    assert early.status_code == 409
    assert "合意してから" in early.json()["error"]["message"]
    edited = api.patch(url, json={"title": "田中部長に電話して予算と決裁者を確認する"}, headers=personas.headers["A1"])
    assert edited.json()["title"] == "田中部長に電話して予算と決裁者を確認する"  # editing before agreeing is fine
    agreed = api.post(f"/api/v1/action-plans/{plan['id']}/agree", headers=personas.headers["A1"])
    assert (agreed.status_code, agreed.json()["status"]) == (200, "agreed")
    doing = api.patch(
        url, json={"status": "doing", "note": "留守だったので月曜に再度電話"}, headers=personas.headers["A1"]
    )
    assert (doing.json()["status"], doing.json()["note"], doing.json()["completed_at"]) == (
        "doing",
        "留守だったので月曜に再度電話",
        None,
    )
    done = api.patch(url, json={"status": "done"}, headers=personas.headers["A1"]).json()
    assert done["status"] == "done"
    assert done["completed_at"] is not None


def test_items_past_due_and_not_done_are_overdue(api: TestClient, personas: Personas, settings: Settings) -> None:
    plan = planned(api, personas, settings)["plan"]
    api.post(f"/api/v1/action-plans/{plan['id']}/agree", headers=personas.headers["A1"])
    api.patch(f"/api/v1/action-items/{plan['items'][1]['id']}", json={"status": "done"}, headers=personas.headers["A1"])
    api.app.state.clock = lambda: datetime(2026, 12, 1, 1, tzinfo=UTC)  # type: ignore[attr-defined]
    later = api.get(f"/api/v1/one-on-ones/{plan['one_on_one_id']}/action-plan", headers=personas.headers["M1"]).json()
    overdue = {i["title"]: i["overdue"] for i in later["items"]}
    assert overdue["青葉電機の田中部長に電話して確認します"] is True  # due 11/30, not done
    assert overdue["質問リストを５つ作ります"] is False  # due 12/02 anyway, and done
    assert later["overdue"] == sum(overdue.values())


def test_a_draft_item_can_be_dropped_but_the_plan_keeps_one(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    ids = [i["id"] for i in plan["items"]]
    for item_id in ids[1:]:
        assert api.delete(f"/api/v1/action-items/{item_id}", headers=personas.headers["A1"]).status_code == 204
    last = api.delete(f"/api/v1/action-items/{ids[0]}", headers=personas.headers["A1"])
    assert last.status_code == 409
    assert "少なくとも1つ" in last.json()["error"]["message"]


def test_managers_comment_and_the_member_sees_it_on_the_plan(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    item_id = plan["items"][0]["id"]
    response = api.post(
        f"/api/v1/action-items/{item_id}/comments",
        json={"body": "電話の前に質問を3つ書き出そう"},
        headers=personas.headers["M1"],
    )
    assert response.status_code == 201
    assert response.json()["author_name"] == personas.users["M1"].name
    mine = api.get(f"/api/v1/one-on-ones/{plan['one_on_one_id']}/action-plan", headers=personas.headers["A1"]).json()
    (comment,) = mine["items"][0]["comments"]
    assert (comment["body"], comment["author_id"]) == ("電話の前に質問を3つ書き出そう", personas.id("M1"))


def test_a_manager_cannot_change_the_members_items(api: TestClient, personas: Personas, settings: Settings) -> None:
    plan = planned(api, personas, settings)["plan"]
    response = api.patch(
        f"/api/v1/action-items/{plan['items'][0]['id']}", json={"note": "x"}, headers=personas.headers["M1"]
    )
    assert response.status_code == 403
    assert "本人だけ" in response.json()["error"]["message"]


def test_the_next_record_lists_the_open_items_and_its_analysis_notes_their_progress(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    api.post(f"/api/v1/action-plans/{plan['id']}/agree", headers=personas.headers["A1"])
    first, second = plan["items"][:2]
    next_record = (
        "課長：前回決めた青葉電機さんの件はどうなった？\n"
        "新人：はい、田中部長に電話して確認できました。予算は来期で、決裁者は部長です。\n"
        "課長：質問リストは？\n"
        "新人：質問リストはまだ途中です。\n"
    )
    body = record(api, personas, author="M1", member="A1", held_on="2026-12-10", content=next_record)
    open_items = {i["id"]: i for i in body["previous_open_items"]}
    assert set(open_items) == {i["id"] for i in plan["items"]}
    assert open_items[first["id"]]["title"] == first["title"]
    analyse(settings, body)
    progress = {p["item_id"]: p for p in _analysis(api, personas, body["id"])["item_progress"]}
    assert progress[first["id"]]["status"] == "done"
    assert progress[first["id"]]["evidence"] in next_record
    assert progress[second["id"]]["status"] == "in_progress"


def test_an_item_done_before_the_next_record_is_not_listed_again(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    api.post(f"/api/v1/action-plans/{plan['id']}/agree", headers=personas.headers["A1"])
    done = plan["items"][0]["id"]
    api.patch(f"/api/v1/action-items/{done}", json={"status": "done"}, headers=personas.headers["A1"])
    body = record(api, personas, author="M1", member="A1", held_on="2026-12-10")
    listed = {i["id"] for i in body["previous_open_items"]}
    assert done not in listed
    assert listed == {i["id"] for i in plan["items"][1:]}
    again = api.get(f"/api/v1/one-on-ones/{body['id']}", headers=personas.headers["M0"]).json()
    assert {i["id"] for i in again["previous_open_items"]} == listed


def test_an_earlier_record_lists_nothing_from_a_later_plan(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    planned(api, personas, settings)
    earlier = record(api, personas, author="M1", member="A1", held_on="2026-10-01")
    assert earlier["previous_open_items"] == []


def test_growth_draws_each_skill_over_time_and_the_completion_rate(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    api.post(f"/api/v1/action-plans/{plan['id']}/agree", headers=personas.headers["A1"])
    api.patch(f"/api/v1/action-items/{plan['items'][0]['id']}", json={"status": "done"}, headers=personas.headers["A1"])
    analysed_record(api, personas, settings, author="M1", member="A1", held_on="2026-12-10")
    growth = api.get(f"/api/v1/members/{personas.id('A1')}/growth", headers=personas.headers["M1"]).json()
    assert growth["one_on_ones"] == 2
    assert growth["action_completion"]["done"] == 1
    assert growth["action_completion"]["rate"] == round(1 / plan["total"], 3)
    for skill, points in growth["skills"].items():
        assert growth["labels"][skill]
        assert [p["date"] for p in points] == sorted(p["date"] for p in points)
        assert all(0 <= p["score"] <= 100 for p in points)
    assert [p["date"] for p in growth["skills"]["hearing"]] == ["2026-11-26", "2026-12-10"]


def test_the_team_picture_shows_each_members_last_1on1_items_and_frequent_challenges(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    plan = planned(api, personas, settings)["plan"]
    team = api.get("/api/v1/teams/me", headers=personas.headers["M1"]).json()
    rows = {row["id"]: row for row in team["items"]}
    assert set(rows) == {personas.id("A1"), personas.id("A2")}
    a1 = rows[personas.id("A1")]
    assert a1["last_one_on_one"] == "2026-11-26"
    assert a1["open_items"] == plan["total"]
    assert a1["overdue_items"] == 0
    assert a1["frequent_challenges"][0]["count"] == 1
    a2 = rows[personas.id("A2")]
    assert (a2["last_one_on_one"], a2["open_items"], a2["frequent_challenges"]) == (None, 0, [])


def test_deleting_a_record_deletes_its_dialogue_and_plan(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    flow = planned(api, personas, settings)
    response = api.delete(f"/api/v1/one-on-ones/{flow['record']['id']}", headers=personas.headers["M1"])
    assert response.status_code == 204
    assert api.get(f"/api/v1/dialogues/{flow['dialogue']['id']}", headers=personas.headers["A1"]).status_code == 404
    assert api.get(f"/api/v1/action-plans/{flow['plan']['id']}", headers=personas.headers["A1"]).status_code == 404


def test_the_coaching_routes_are_described_in_openapi(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/one-on-ones/{record_id}/dialogue",
        "/api/v1/dialogues/{dialogue_id}/messages",
        "/api/v1/dialogues/{dialogue_id}/complete",
        "/api/v1/one-on-ones/{record_id}/action-plan",
        "/api/v1/action-items/{item_id}",
        "/api/v1/members/{member_id}/growth",
        "/api/v1/teams/me",
    ):
        assert path in paths
