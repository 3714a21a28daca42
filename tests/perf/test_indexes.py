"""Every query the main routes run finds its rows of the big tables through an index: no full scan of records,
analyses, plans, items, dialogues, tokens, feedback or the audit log (``EXPLAIN`` on SQLite and on PostgreSQL).

The statements are the ones the app really runs, captured with their parameters while the routes answer, then
explained on the same database. ``users`` may be scanned: only an admin's view of everyone does, and that is what
they asked for. SQLite's planner chooses by the shape of the indexes, so there the test also names the index each
route must use; PostgreSQL chooses by statistics, which a test's few rows cannot stand for, so there it checks that
an index can serve every query (no sequential scan even when sequential scans are made prohibitively costly).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.perf.org import Org

BIG_TABLES = {
    "one_on_ones",
    "record_uploads",
    "analyses",
    "dialogues",
    "dialogue_messages",
    "action_plans",
    "action_items",
    "action_item_comments",
    "auth_tokens",
    "audit_events",
    "ratings",
    "finding_corrections",
}
# Each route, and the indexes its filters and orderings must be read through (beside the no-full-scan rule).
ROUTES: dict[tuple[str, str], set[str]] = {
    ("A1", "/home"): {"ix_one_on_ones_member_id_held_on", "ix_analyses_one_on_one_id_status"},
    ("A1", "/one-on-ones"): {"ix_one_on_ones_member_id_held_on"},
    ("M0", "/one-on-ones"): {"ix_one_on_ones_member_id_held_on", "ix_users_manager_id"},
    ("admin", "/one-on-ones"): {"ix_one_on_ones_held_on_id"},
    ("A1", "/one-on-ones/{record}"): {"ix_analyses_one_on_one_id_status"},
    ("A1", "/dialogues/{dialogue}"): {"ix_dialogue_messages_dialogue_id"},
    ("M1", "/action-plans/{plan}"): {"ix_action_items_plan_id_position", "ix_action_item_comments_item_id"},
    ("M1", "/team"): {
        "ix_one_on_ones_member_id_held_on",
        "ix_analyses_one_on_one_id_status",
        "ix_action_plans_member_id",
    },
    ("admin", "/team"): {"ix_analyses_one_on_one_id_status"},
    ("M1", "/members/{A1}"): {"ix_analyses_one_on_one_id_status", "ix_action_plans_member_id"},
    ("admin", "/admin/users"): set(),
    ("admin", "/admin/accounts/inactive"): set(),
    ("admin", "/admin/audit"): {"ix_audit_events_occurred_at"},
    ("admin", "/admin/audit?action=login_failed"): {"ix_audit_events_action_occurred_at"},
    ("admin", "/admin/status"): {"ix_analyses_status_finished_at"},
    ("M1", "/api/v1/one-on-ones?member_id={A1}"): {"ix_one_on_ones_member_id_held_on"},
    ("M1", "/api/v1/one-on-ones/{record}/analyses"): {"ix_analyses_one_on_one_id_status"},
    ("A1", "/api/v1/analyses/{analysis}/feedback"): {"ix_finding_corrections_analysis_id_kind"},
    ("admin", "/api/v1/feedback/kpis"): {"ix_ratings_updated_at"},
    ("admin", "/api/v1/audit-events?actor_id={A1}"): {"ix_audit_events_actor_id_occurred_at"},
}


@contextmanager
def captured(org: Org) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements the app runs inside the block, with their parameters."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and statement.strip() != "SELECT 1":
            statements.append((statement, parameters))

    engine = org.api.app.state.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def query_plan(org: Org, statement: str, parameters: Any) -> list[str]:
    """The lines of the plan the database makes for ``statement``."""
    engine = org.api.app.state.engine  # type: ignore[attr-defined]
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            lines = [str(row[3]) for row in cursor.fetchall()]
        else:
            # Test tables are small, where a sequential scan is cheapest; forbidding it shows whether an index can
            # serve the query (PostgreSQL still scans the table when none can). The pool's connections are in
            # autocommit (reads open no transaction): SET LOCAL needs one, which the rollback below ends.
            cursor.execute("BEGIN")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {statement}", parameters)
            lines = [str(row[0]) for row in cursor.fetchall()]
        connection.rollback()
    finally:
        connection.close()
    return lines


def full_scans(plan: list[str]) -> set[str]:
    """The big tables a plan reads in full. SQLite: "SCAN t" (but "SCAN t USING INDEX i" walks an index in order,
    a page of a list); PostgreSQL: "Seq Scan on t"."""
    scanned = {m.group(1) for line in plan if (m := re.fullmatch(r"SCAN (\w+)", line.strip()))}
    scanned |= {m.group(1) for line in plan if (m := re.search(r"Seq Scan on (\w+)", line))}
    return scanned & BIG_TABLES


def test_the_main_queries_read_the_big_tables_through_indexes(org: Org, db_session: Session) -> None:
    org.grow(db_session, 2)
    record = org.call("GET", f"/api/v1/one-on-ones/{org.ids['record']}", "A1")
    org.ids["analysis"] = record["analysis"]["id"]
    scans: dict[str, set[str]] = {}
    unused: dict[tuple[str, str], set[str]] = {}
    for (who, path), indexes in ROUTES.items():
        url = path.format(**org.ids)
        api = url.startswith("/api/")
        client = org.api if api else org.site.as_(who).client
        with captured(org) as statements:
            assert client.get(url, headers=org.headers[who] if api else {}).status_code == 200, url
        assert statements, url
        plans = [(statement, query_plan(org, statement, parameters)) for statement, parameters in statements]
        for statement, plan in plans:
            if scanned := full_scans(plan):
                scans[" ".join(statement.split())[:160]] = scanned
        used = " ".join(line for _statement, plan in plans for line in plan)
        if org.settings.is_sqlite and (missing := {index for index in indexes if index not in used}):
            unused[(who, path)] = missing
    assert scans == {}, f"full scans of big tables: {scans}"
    assert unused == {}, f"indexes the routes' filters should use: {unused}"
