"""The access-test personas: admin; M0 above M1; M1 with members A1 and A2; M2 with member B1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sales_growth.accounts.models import Role, User
from sales_growth.settings import Settings
from sales_growth.web.app import create_app
from tests.factories import auth_headers, make_token, make_user

PERSONA_TREE: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "M0": (Role.MANAGER, None),
    "M1": (Role.MANAGER, "M0"),
    "A1": (Role.MEMBER, "M1"),
    "A2": (Role.MEMBER, "M1"),
    "M2": (Role.MANAGER, None),
    "B1": (Role.MEMBER, "M2"),
}


@dataclass
class Personas:
    users: dict[str, User]
    headers: dict[str, dict[str, str]]

    def id(self, name: str) -> int:
        return self.users[name].id


def build_personas(session: Session, settings: Settings) -> Personas:
    users: dict[str, User] = {}
    for name, (role, manager) in PERSONA_TREE.items():
        users[name] = make_user(
            session,
            role=role,
            manager=users[manager] if manager else None,
            email=f"{name.lower()}@example.com",
            password=None,  # access tests log in by token; argon2 per persona would dominate their time
        )
    headers = {name: client_headers(session, settings, user) for name, user in users.items()}
    return Personas(users=users, headers=headers)


def client_headers(session: Session, settings: Settings, user: User) -> dict[str, str]:
    """Auth headers for ``user`` (a token made through the service, not an HTTP login)."""
    return auth_headers(make_token(session, user, settings))


@pytest.fixture
def personas(db_session: Session, settings: Settings) -> Personas:
    return build_personas(db_session, settings)


def make_app(settings: Settings) -> FastAPI:
    """The app without its embedded worker (account tests queue no jobs)."""
    return create_app(settings.model_copy(update={"embedded_worker": False}))


@contextmanager
def cached_app(settings: Settings, redis_url: str | None) -> Iterator[FastAPI]:
    """The app with its caches on (the per-process one, or Redis at ``redis_url``), empty before and after. The
    maintenance status is held for the whole test: its periodic re-read would count as a request's query."""
    app = make_app(settings.model_copy(update={"redis_url": redis_url, "maintenance_cache_seconds": 3600.0}))
    app.state.cache.clear()
    try:
        yield app
    finally:
        app.state.cache.clear()


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    with TestClient(make_app(settings)) as client:
        yield client
