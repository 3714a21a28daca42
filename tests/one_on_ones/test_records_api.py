"""1on1 records over the API: the permission matrix for every route, uploads, encodings and limits."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.personas import PERSONA_TREE, Personas

CONTENT = "上司：先週の訪問はどうだった？\n新人：予算を聞き忘れました。\n"
EVERYONE = list(PERSONA_TREE)


def _create(api: TestClient, personas: Personas, author: str, member: str, **extra: Any) -> dict[str, Any]:
    body = {"member_id": personas.id(member), "held_on": "2026-11-02", "content": CONTENT, **extra}
    response = api.post("/api/v1/one-on-ones", json=body, headers=personas.headers[author])
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def records(api: TestClient, personas: Personas) -> dict[str, int]:
    """r_a1: recorded by M1 for A1; r_b1: recorded by M2 for B1."""
    return {"r_a1": _create(api, personas, "M1", "A1")["id"], "r_b1": _create(api, personas, "M2", "B1")["id"]}


READ_A1 = {"admin": 200, "M0": 200, "M1": 200, "A1": 200, "A2": 404, "M2": 404, "B1": 404}
WRITE_A1 = {"admin": 200, "M0": 403, "M1": 200, "A1": 403, "A2": 404, "M2": 404, "B1": 404}
CREATE_FOR_A1 = {"admin": 201, "M0": 201, "M1": 201, "A1": 201, "A2": 404, "M2": 404, "B1": 404}
LIST_TOTAL = {"admin": 2, "M0": 1, "M1": 1, "A1": 1, "A2": 0, "M2": 1, "B1": 1}


@pytest.mark.parametrize("persona", EVERYONE)
def test_reading_a_record_follows_the_policy(
    api: TestClient, personas: Personas, records: dict[str, int], persona: str
) -> None:
    response = api.get(f"/api/v1/one-on-ones/{records['r_a1']}", headers=personas.headers[persona])
    assert response.status_code == READ_A1[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_reading_the_analysis_follows_the_policy(
    api: TestClient, personas: Personas, records: dict[str, int], persona: str
) -> None:
    response = api.get(f"/api/v1/one-on-ones/{records['r_a1']}/analysis", headers=personas.headers[persona])
    assert response.status_code == READ_A1[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_starting_a_new_analysis_follows_the_policy(
    api: TestClient, personas: Personas, records: dict[str, int], persona: str
) -> None:
    response = api.post(f"/api/v1/one-on-ones/{records['r_a1']}/analysis", headers=personas.headers[persona])
    assert response.status_code == {200: 202}.get(READ_A1[persona], READ_A1[persona])


@pytest.mark.parametrize("persona", EVERYONE)
def test_listing_shows_only_visible_records(
    api: TestClient, personas: Personas, records: dict[str, int], persona: str
) -> None:
    response = api.get("/api/v1/one-on-ones", headers=personas.headers[persona])
    assert response.status_code == 200
    assert response.json()["total"] == LIST_TOTAL[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_filtering_by_an_invisible_member_shows_nothing(
    api: TestClient, personas: Personas, records: dict[str, int], persona: str
) -> None:
    response = api.get(
        "/api/v1/one-on-ones", params={"member_id": personas.id("B1")}, headers=personas.headers[persona]
    )
    assert response.json()["total"] == (1 if persona in {"admin", "M2", "B1"} else 0)


@pytest.mark.parametrize("persona", EVERYONE)
def test_creating_a_record_follows_the_policy(api: TestClient, personas: Personas, persona: str) -> None:
    body = {"member_id": personas.id("A1"), "held_on": "2026-11-02", "content": CONTENT}
    response = api.post("/api/v1/one-on-ones", json=body, headers=personas.headers[persona])
    assert response.status_code == CREATE_FOR_A1[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_editing_a_record_follows_the_policy(
    api: TestClient, personas: Personas, records: dict[str, int], persona: str
) -> None:
    response = api.patch(
        f"/api/v1/one-on-ones/{records['r_a1']}", json={"title": "改題"}, headers=personas.headers[persona]
    )
    assert response.status_code == WRITE_A1[persona]


@pytest.mark.parametrize("persona", EVERYONE)
def test_deleting_a_record_follows_the_policy(
    api: TestClient, personas: Personas, records: dict[str, int], persona: str
) -> None:
    response = api.delete(f"/api/v1/one-on-ones/{records['r_a1']}", headers=personas.headers[persona])
    assert response.status_code == {200: 204}.get(WRITE_A1[persona], WRITE_A1[persona])


def test_an_invisible_record_looks_exactly_like_a_missing_one(
    api: TestClient, personas: Personas, records: dict[str, int]
) -> None:
    invisible = api.get(f"/api/v1/one-on-ones/{records['r_b1']}", headers=personas.headers["A1"])
    missing = api.get("/api/v1/one-on-ones/999999", headers=personas.headers["A1"])
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json() == missing.json()


def test_a_manager_cannot_record_for_themself(api: TestClient, personas: Personas) -> None:
    body = {"member_id": personas.id("M1"), "held_on": "2026-11-02", "content": CONTENT}
    assert api.post("/api/v1/one-on-ones", json=body, headers=personas.headers["M1"]).status_code == 403


def test_without_login_records_are_refused(api: TestClient, records: dict[str, int]) -> None:
    assert api.get("/api/v1/one-on-ones").status_code == 401
    assert api.get(f"/api/v1/one-on-ones/{records['r_a1']}").status_code == 401


def test_a_new_record_comes_with_its_queued_analysis(api: TestClient, personas: Personas) -> None:
    record = _create(api, personas, "M1", "A1", title="初回訪問の振り返り")
    assert record["title"] == "初回訪問の振り返り"
    assert record["created_by"] == personas.id("M1")
    assert record["analysis"]["status"] == "queued"
    fetched = api.get(f"/api/v1/one-on-ones/{record['id']}", headers=personas.headers["A1"]).json()
    assert fetched["analysis"]["id"] == record["analysis"]["id"]


def test_a_record_without_title_gets_one_from_its_date(api: TestClient, personas: Personas) -> None:
    assert _create(api, personas, "A1", "A1")["title"] == "2026年11月02日の1on1"


def test_records_are_listed_newest_first_and_paged(api: TestClient, personas: Personas) -> None:
    for day in ("2026-09-01", "2026-11-01", "2026-10-01"):
        _create(api, personas, "M1", "A1", held_on=day)
    page = api.get("/api/v1/one-on-ones", params={"limit": 2}, headers=personas.headers["A1"]).json()
    assert [r["held_on"] for r in page["items"]] == ["2026-11-01", "2026-10-01"]
    assert page["total"] == 3


def test_records_can_be_filtered_by_date_range(api: TestClient, personas: Personas) -> None:
    for day in ("2026-09-01", "2026-10-15", "2026-11-20"):
        _create(api, personas, "M1", "A1", held_on=day)
    params = {"from": "2026-10-01", "to": "2026-10-31"}
    page = api.get("/api/v1/one-on-ones", params=params, headers=personas.headers["M1"]).json()
    assert [r["held_on"] for r in page["items"]] == ["2026-10-15"]


def test_editing_the_content_starts_a_new_analysis_and_keeps_the_old_one(api: TestClient, personas: Personas) -> None:
    record = _create(api, personas, "M1", "A1")
    api.patch(
        f"/api/v1/one-on-ones/{record['id']}", json={"content": CONTENT + "追記。"}, headers=personas.headers["M1"]
    )
    history = api.get(f"/api/v1/one-on-ones/{record['id']}/analyses", headers=personas.headers["A1"]).json()
    assert history["total"] == 2
    assert history["items"][1]["id"] == record["analysis"]["id"]


def test_editing_only_the_title_does_not_reanalyse(api: TestClient, personas: Personas) -> None:
    record = _create(api, personas, "M1", "A1")
    api.patch(f"/api/v1/one-on-ones/{record['id']}", json={"title": "新しい題"}, headers=personas.headers["M1"])
    history = api.get(f"/api/v1/one-on-ones/{record['id']}/analyses", headers=personas.headers["A1"]).json()
    assert history["total"] == 1


@pytest.mark.parametrize("content", ["", "   \n\t  "])
def test_empty_content_is_refused_with_a_clear_message(api: TestClient, personas: Personas, content: str) -> None:
    body = {"member_id": personas.id("A1"), "held_on": "2026-11-02", "content": content}
    response = api.post("/api/v1/one-on-ones", json=body, headers=personas.headers["A1"])
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_unknown_member_is_not_found(api: TestClient, personas: Personas) -> None:
    body = {"member_id": 999999, "held_on": "2026-11-02", "content": CONTENT}
    assert api.post("/api/v1/one-on-ones", json=body, headers=personas.headers["admin"]).status_code == 404


def test_malformed_json_is_a_422_not_a_500(api: TestClient, personas: Personas) -> None:
    response = api.post(
        "/api/v1/one-on-ones",
        content=b"{not json",
        headers={**personas.headers["A1"], "Content-Type": "application/json"},
    )
    assert response.status_code == 422
