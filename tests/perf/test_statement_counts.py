"""No N+1 queries: every list and detail route of the API and every main page runs a fixed number of SQL
statements, the same for a team of N members with N records each as for twice as many rows
(the organisation of ``tests/perf/org.py``). Caches are cleared before each count, so what is counted is the work
a request does when nothing is cached.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.perf.org import Org
from tests.web.browsing import counted_queries

# (persona, path): the routes counted. The budgets are today's counts on a cold request; a new N+1 fails on the
# growth check whatever the budget, a new fixed query fails on the budget.
API_ROUTES: dict[tuple[str, str], int] = {
    ("A1", "/api/v1/me"): 1,
    ("M1", "/api/v1/users"): 3,
    ("admin", "/api/v1/users"): 3,
    ("M1", "/api/v1/users/{A1}"): 3,
    ("M0", "/api/v1/one-on-ones"): 4,
    ("admin", "/api/v1/one-on-ones"): 4,
    ("A1", "/api/v1/one-on-ones?member_id={A1}"): 4,
    ("A1", "/api/v1/one-on-ones/{record}"): 4,
    ("A1", "/api/v1/one-on-ones/{record}/analysis"): 3,
    ("M1", "/api/v1/one-on-ones/{record}/analyses"): 3,
    ("M1", "/api/v1/one-on-ones/{record}/upload"): 3,
    ("A1", "/api/v1/dialogues/{dialogue}"): 4,
    ("M1", "/api/v1/one-on-ones/{record}/action-plan"): 4,
    ("A1", "/api/v1/action-plans/{plan}"): 3,
    ("M1", "/api/v1/members/{A1}/growth"): 5,
    ("M1", "/api/v1/teams/me"): 6,
    ("M0", "/api/v1/teams/me"): 6,
    ("admin", "/api/v1/teams/me"): 6,
    ("A1", "/api/v1/analyses/{analysis}/feedback"): 4,
    ("admin", "/api/v1/feedback/kpis"): 4,
    ("admin", "/api/v1/audit-events"): 3,
}
PAGE_ROUTES: dict[tuple[str, str], int] = {
    ("A1", "/home"): 7,
    ("A1", "/one-on-ones"): 5,
    ("M0", "/one-on-ones"): 6,
    ("M1", "/one-on-ones/new"): 2,
    ("A1", "/one-on-ones/{record}"): 9,
    ("M1", "/one-on-ones/{record}"): 9,
    ("A1", "/one-on-ones/{record}/analysis"): 6,
    ("A1", "/dialogues/{dialogue}"): 5,
    ("A1", "/action-plans/{plan}"): 6,
    ("M1", "/action-plans/{plan}"): 7,
    ("M1", "/team"): 6,
    ("M0", "/team"): 6,
    ("admin", "/team"): 6,
    ("M1", "/members/{A1}"): 10,
    ("admin", "/admin/users"): 4,
    ("admin", "/admin/users/{A1}"): 3,
    ("admin", "/admin/accounts/inactive"): 2,
    ("admin", "/admin/audit"): 3,
    ("admin", "/admin/status"): 8,
}


def _count(org: Org, who: str, path: str, *, page: bool) -> int:
    url = path.format(**org.ids)
    client = org.site.as_(who).client if page else org.api
    headers = {} if page else org.headers[who]
    assert client.get(url, headers=headers).status_code == 200, url  # warms up what every process keeps
    _clear_caches(org)
    with counted_queries(org.api.app) as statements:  # type: ignore[arg-type]
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.text)
    return len(statements)


def _clear_caches(org: Org) -> None:
    cache = getattr(org.api.app.state, "cache", None)  # type: ignore[attr-defined]
    if cache is not None:
        cache.clear()


def _counts(org: Org, routes: dict[tuple[str, str], int], *, page: bool) -> dict[tuple[str, str], int]:
    return {(who, path): _count(org, who, path, page=page) for who, path in routes}


def _latest_analysis(org: Org) -> None:
    record = org.call("GET", f"/api/v1/one-on-ones/{org.ids['record']}", "A1")
    org.ids["analysis"] = record["analysis"]["id"]


def _check(org: Org, db_session: Session, routes: dict[tuple[str, str], int], *, page: bool) -> None:
    org.grow(db_session, 2)
    _latest_analysis(org)
    small = _counts(org, routes, page=page)
    org.grow(db_session, 2)
    _latest_analysis(org)
    large = _counts(org, routes, page=page)
    assert org.call("GET", "/api/v1/teams/me", "M1")["total"] == 6
    grew = {route: (small[route], large[route]) for route in routes if large[route] != small[route]}
    assert grew == {}, f"statements grow with the data (N → 2N): {grew}"
    over = {route: (small[route], budget) for route, budget in routes.items() if small[route] > budget}
    assert over == {}, f"over budget (count, budget): {over}"


def test_api_routes_run_the_same_statements_for_twice_the_data(org: Org, db_session: Session) -> None:
    _check(org, db_session, API_ROUTES, page=False)


def test_pages_run_the_same_statements_for_twice_the_data(org: Org, db_session: Session) -> None:
    _check(org, db_session, PAGE_ROUTES, page=True)


# The member's progress form and the manager's comment: what each post runs from its first write to its commit. On
# SQLite every statement there is time in which every other writer waits for the one write lock.
WRITES: dict[tuple[str, str], tuple[dict[str, str], list[str]]] = {
    ("A1", "/action-items/{item}/progress"): ({"status": "done", "note": "終わりました"}, ["UPDATE"]),
    ("M1", "/action-items/{item}/comments"): ({"body": "よくできました"}, ["INSERT"]),
}


@pytest.mark.parametrize(("who", "path"), list(WRITES))
def test_a_form_post_writes_once_and_commits(org: Org, who: str, path: str) -> None:
    form, expected = WRITES[(who, path)]
    browser = org.site.as_(who)
    engine = org.api.app.state.engine  # type: ignore[attr-defined]
    steps: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        steps.append(statement.split(None, 1)[0])

    def committed(_conn: Any) -> None:
        steps.append("COMMIT")

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    try:
        response = browser.post(path.format(**org.ids), form, follow_redirects=False)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", committed)
    assert response.status_code == 303, response.text
    first_write = next(i for i, step in enumerate(steps) if step in ("INSERT", "UPDATE", "DELETE"))
    assert steps[first_write : steps.index("COMMIT", first_write) + 1] == [*expected, "COMMIT"], steps


# Where a record is one of a list (titles, dates, analyses), its text is not read: it may be up to MAX_UPLOAD_BYTES,
# and a list holds 30. The record's own page reads it (it shows the text with the quotes marked).
TEXTS_READ = {
    ("A1", "/one-on-ones"): False,
    ("M1", "/one-on-ones"): False,
    ("A1", "/home"): False,
    ("M1", "/members/{A1}"): False,
    ("A1", "/one-on-ones/{record}"): True,
}


@pytest.mark.parametrize(("who", "path"), list(TEXTS_READ))
def test_lists_of_records_leave_the_texts_in_the_database(org: Org, who: str, path: str) -> None:
    browser = org.site.as_(who)
    _clear_caches(org)
    with counted_queries(org.api.app) as statements:  # type: ignore[arg-type]
        response = browser.client.get(path.format(**org.ids))
    assert response.status_code == 200, response.text
    assert any("one_on_ones.content" in statement for statement in statements) is TEXTS_READ[(who, path)]
