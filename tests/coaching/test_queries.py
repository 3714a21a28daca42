"""The team picture and growth take a fixed number of queries, whatever the number of members and records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from sales_growth.accounts.models import Role
from sales_growth.coaching import growth
from sales_growth.settings import Settings
from tests.coaching.flows import analysed_record, at_friday_morning, complete, start
from tests.factories import make_user
from tests.personas import Personas, client_headers


def _queries(api: TestClient, call: Callable[[], Any], *, fresh: bool = True) -> int:
    return len(_statements(api, call, fresh=fresh))


def _statements(api: TestClient, call: Callable[[], Any], *, fresh: bool = True) -> list[str]:
    engine = api.app.state.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    if fresh:  # the work of a request when nothing is cached
        api.app.state.cache.clear()  # type: ignore[attr-defined]
        growth.forget_findings()
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert call().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements


def _planned_records(api: TestClient, personas: Personas, settings: Settings, member: str, dates: list[str]) -> None:
    for held_on in dates:
        record = analysed_record(api, personas, settings, author="M1", member=member, held_on=held_on)
        complete(api, personas, start(api, personas, record["id"], who=member)["id"], who=member)


def _add_member(api: TestClient, personas: Personas, settings: Settings, db_session: Session, name: str) -> None:
    user = make_user(db_session, role=Role.MEMBER, manager=personas.users["M1"], email=f"{name.lower()}@example.com")
    personas.users[name] = user
    personas.headers[name] = client_headers(db_session, settings, user)


def test_the_team_picture_does_not_query_per_member(
    api: TestClient, personas: Personas, settings: Settings, db_session: Session
) -> None:
    at_friday_morning(api)
    _planned_records(api, personas, settings, "A1", ["2026-11-02"])
    small = _queries(api, lambda: api.get("/api/v1/teams/me", headers=personas.headers["M1"]))
    for name in ("C1", "C2", "C3"):
        _add_member(api, personas, settings, db_session, name)
        _planned_records(api, personas, settings, name, ["2026-11-02", "2026-11-16"])
    _planned_records(api, personas, settings, "A2", ["2026-11-09"])
    response = api.get("/api/v1/teams/me", headers=personas.headers["M1"])
    assert response.json()["total"] == 5
    assert _queries(api, lambda: api.get("/api/v1/teams/me", headers=personas.headers["M1"])) == small


def test_growth_does_not_query_per_record(api: TestClient, personas: Personas, settings: Settings) -> None:
    at_friday_morning(api)
    _planned_records(api, personas, settings, "A1", ["2026-10-05"])
    url = f"/api/v1/members/{personas.id('A1')}/growth"
    small = _queries(api, lambda: api.get(url, headers=personas.headers["M1"]))
    _planned_records(api, personas, settings, "A1", ["2026-10-19", "2026-11-02", "2026-11-16"])
    assert api.get(url, headers=personas.headers["M1"]).json()["one_on_ones"] == 4
    assert _queries(api, lambda: api.get(url, headers=personas.headers["M1"])) == small


def test_growth_and_the_team_read_each_analysis_result_once(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    """A successful analysis never changes: its findings are parsed once per process, and a new analysis of the
    record (another id) is read when it is the latest."""
    at_friday_morning(api)
    _planned_records(api, personas, settings, "A1", ["2026-10-05", "2026-10-19"])
    url = f"/api/v1/members/{personas.id('A1')}/growth"
    reads_results = [s for s in _statements(api, lambda: api.get(url, headers=personas.headers["M1"])) if "result" in s]
    assert reads_results, "the first view reads the analyses' results"
    first = api.get(url, headers=personas.headers["M1"]).json()
    for path in (url, "/api/v1/teams/me"):
        api.app.state.cache.clear()  # type: ignore[attr-defined]
        assert not [
            s
            for s in _statements(api, lambda p=path: api.get(p, headers=personas.headers["M1"]), fresh=False)
            if "analyses.result" in s
        ], path
    assert api.get(url, headers=personas.headers["M1"]).json() == first
