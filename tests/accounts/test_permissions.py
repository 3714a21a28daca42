"""Every users route by every persona: exactly the status the policy says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.personas import PERSONA_TREE, Personas

ALL = set(PERSONA_TREE)
# Who each persona may see: itself, its whole subtree when a manager, everyone when admin.
VISIBLE = {
    "admin": ALL,
    "M0": {"M0", "M1", "A1", "A2"},
    "M1": {"M1", "A1", "A2"},
    "M2": {"M2", "B1"},
    "A1": {"A1"},
    "A2": {"A2"},
    "B1": {"B1"},
}
PAIRS = [(actor, target) for actor in PERSONA_TREE for target in PERSONA_TREE]


@pytest.mark.parametrize(("actor", "target"), PAIRS)
def test_reading_a_user_is_allowed_only_within_the_visible_set(
    api: TestClient, personas: Personas, actor: str, target: str
) -> None:
    response = api.get(f"/api/v1/users/{personas.id(target)}", headers=personas.headers[actor])
    assert response.status_code == (200 if target in VISIBLE[actor] else 404)


@pytest.mark.parametrize("actor", list(PERSONA_TREE))
def test_the_user_list_holds_exactly_the_visible_users(api: TestClient, personas: Personas, actor: str) -> None:
    response = api.get("/api/v1/users", headers=personas.headers[actor])
    assert response.status_code == 200
    body = response.json()
    assert {item["email"] for item in body["items"]} == {f"{name.lower()}@example.com" for name in VISIBLE[actor]}
    assert body["total"] == len(VISIBLE[actor])


@pytest.mark.parametrize("actor", list(PERSONA_TREE))
def test_only_an_admin_can_create_users(api: TestClient, personas: Personas, actor: str) -> None:
    body = {"email": "new@example.com", "name": "新人", "role": "member", "password": "long-enough-1"}
    response = api.post("/api/v1/users", json=body, headers=personas.headers[actor])
    assert response.status_code == (201 if actor == "admin" else 403)


@pytest.mark.parametrize(("actor", "target"), PAIRS)
def test_editing_a_user_is_admin_only_and_invisible_users_stay_hidden(
    api: TestClient, personas: Personas, actor: str, target: str
) -> None:
    response = api.patch(f"/api/v1/users/{personas.id(target)}", json={"name": "改名"}, headers=personas.headers[actor])
    expected = 200 if actor == "admin" else 403 if target in VISIBLE[actor] else 404
    assert response.status_code == expected


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/users", "/api/v1/users/1"])
def test_anonymous_callers_get_401(api: TestClient, path: str) -> None:
    assert api.get(path).status_code == 401


def test_me_describes_the_caller(api: TestClient, personas: Personas) -> None:
    body = api.get("/api/v1/me", headers=personas.headers["M1"]).json()
    assert body["email"] == "m1@example.com"
    assert body["role"] == "manager"
    assert body["manager_id"] == personas.id("M0")


def test_the_user_list_filters_by_role_and_pages(api: TestClient, personas: Personas) -> None:
    headers = personas.headers["admin"]
    managers = api.get("/api/v1/users", params={"role": "manager"}, headers=headers).json()
    assert {item["name"] for item in managers["items"]} == {personas.users[n].name for n in ("M0", "M1", "M2")}
    page = api.get("/api/v1/users", params={"limit": 2, "offset": 2}, headers=headers).json()
    assert len(page["items"]) == 2
    assert page["total"] == len(PERSONA_TREE)
