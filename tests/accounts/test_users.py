"""Admin writes to users: reporting lines, password policy, unique addresses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sales_growth.accounts import passwords, service
from sales_growth.accounts.models import Role
from sales_growth.accounts.schemas import UserCreate
from sales_growth.errors import InvalidInputError
from tests.personas import Personas

NEW = {"email": "new@example.com", "name": "新人", "role": "member", "password": "long-enough-1"}


def test_a_manager_cannot_be_placed_under_their_own_report(api: TestClient, personas: Personas) -> None:
    response = api.patch(
        f"/api/v1/users/{personas.id('M0')}", json={"manager_id": personas.id("M1")}, headers=personas.headers["admin"]
    )
    assert response.status_code == 422
    assert "循環" in response.json()["error"]["message"]


def test_a_user_cannot_be_their_own_manager(api: TestClient, personas: Personas) -> None:
    response = api.patch(
        f"/api/v1/users/{personas.id('M1')}", json={"manager_id": personas.id("M1")}, headers=personas.headers["admin"]
    )
    assert response.status_code == 422


def test_a_member_cannot_be_anyones_manager(api: TestClient, personas: Personas) -> None:
    body = {**NEW, "manager_id": personas.id("A1")}
    response = api.post("/api/v1/users", json=body, headers=personas.headers["admin"])
    assert response.status_code == 422


def test_moving_a_team_changes_what_the_new_manager_sees(api: TestClient, personas: Personas) -> None:
    api.patch(
        f"/api/v1/users/{personas.id('M1')}", json={"manager_id": personas.id("M2")}, headers=personas.headers["admin"]
    )
    assert api.get(f"/api/v1/users/{personas.id('A1')}", headers=personas.headers["M2"]).status_code == 200
    assert api.get(f"/api/v1/users/{personas.id('A1')}", headers=personas.headers["M0"]).status_code == 404


def test_a_short_password_is_refused_in_japanese(api: TestClient, personas: Personas) -> None:
    response = api.post("/api/v1/users", json={**NEW, "password": "short"}, headers=personas.headers["admin"])
    assert response.status_code == 422
    assert "8文字以上" in response.json()["error"]["message"]


def test_an_address_differing_only_in_case_is_a_duplicate(api: TestClient, personas: Personas) -> None:
    response = api.post("/api/v1/users", json={**NEW, "email": "A1@Example.com"}, headers=personas.headers["admin"])
    assert response.status_code == 409


def test_a_created_user_can_log_in_with_the_given_password(api: TestClient, personas: Personas) -> None:
    created = api.post("/api/v1/users", json={**NEW, "email": "New@Example.com"}, headers=personas.headers["admin"])
    assert created.json()["email"] == "new@example.com"
    login = api.post("/api/v1/auth/token", json={"email": "new@example.com", "password": "long-enough-1"})
    assert login.status_code == 200


def test_a_password_change_ends_the_old_tokens(api: TestClient, personas: Personas) -> None:
    api.patch(
        f"/api/v1/users/{personas.id('A1')}", json={"password": "brand-new-pass"}, headers=personas.headers["admin"]
    )
    assert api.get("/api/v1/me", headers=personas.headers["A1"]).status_code == 401


def test_a_manager_with_reports_cannot_become_a_member(api: TestClient, personas: Personas) -> None:
    response = api.patch(
        f"/api/v1/users/{personas.id('M2')}", json={"role": "member"}, headers=personas.headers["admin"]
    )
    assert response.status_code == 422
    assert api.get(f"/api/v1/users/{personas.id('B1')}", headers=personas.headers["M2"]).status_code == 200


def test_a_password_hashed_beforehand_is_kept_and_still_checked(db_session: Session) -> None:
    hashed = passwords.hash_password("shared-pass-1")
    data = UserCreate(email="one@example.com", name="一人目", role=Role.MEMBER, password="shared-pass-1")
    user = service.create_user(db_session, None, data, password_hash=hashed)
    assert user.password_hash == hashed
    assert passwords.verify("shared-pass-1", user.password_hash)
    short = data.model_copy(update={"email": "two@example.com", "password": "short"})
    with pytest.raises(InvalidInputError):
        service.create_user(db_session, None, short, password_hash=hashed)
