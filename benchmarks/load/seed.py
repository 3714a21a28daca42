"""A large organisation for the load test, written fast: bulk inserts, one password hash, a few real analyses.

``seed(settings, users=1000)`` migrates the configured database and fills it with admins, department heads
(managers of managers), managers and their teams of members. Every member has six months of 1on1 records, each
with a succeeded analysis and an agreed action plan whose items are done, in progress or still to do. The analyses
are real: a few of the sample records of ``sales_growth.demo`` analysed once per month by the built-in engine, then
reused, so the record pages find their evidence in the text. It writes what the Locust users need (who they are,
which records, plans and items they may open) to a JSON file.

Run alone: ``python benchmarks/load/seed.py --users 1000 --out users.json`` (with ``SALES_GROWTH_*`` naming the
database); the load runner calls it itself.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sales_growth.accounts import tokens
from sales_growth.accounts.models import AuthToken, Role, TokenKind, User
from sales_growth.accounts.passwords import hash_password
from sales_growth.coaching.models import ActionPlan, ActionPlanItem, ItemStatus, PlanStatus
from sales_growth.db import create_db_engine, create_session_factory, transaction, upgrade_schema, utcnow
from sales_growth.one_on_ones.analyses import analyzer_for
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne
from sales_growth.settings import Settings

PASSWORD = "load-test-password"
TEAM_SIZE = 9  # members per manager
MONTHS = [date(2026, month, 10) for month in range(6, 12)]  # one 1on1 a month, June to November 2026
RECORD_DIR = Path(__file__).resolve().parents[2] / "src" / "sales_growth" / "demo" / "records"
# Plain-text sample records: their analyses quote them verbatim, so the record pages highlight real evidence.
TEMPLATE_FILES = [
    "araki_01_2026-06-23.txt",
    "murata_01_2026-06-30.txt",
    "hoshino_01_2026-07-07.txt",
    "uchida_01_2026-07-14.txt",
    "murata_02_2026-08-04.md",
    "yokoyama_02_2026-09-17.txt",
]
# Item statuses by the age of the plan: old plans are mostly done, the newest mostly still open.
STATUS_BY_AGE = [
    [ItemStatus.TODO, ItemStatus.DOING, ItemStatus.TODO],
    [ItemStatus.DOING, ItemStatus.DONE, ItemStatus.TODO],
] + [[ItemStatus.DONE, ItemStatus.DONE, ItemStatus.DOING]] * 4


@dataclass
class Person:
    email: str
    name: str
    role: Role
    manager: int | None  # index into the list of people
    id: int = 0
    session: str | None = None  # a browser session opened earlier (``sessions=True``)


@dataclass
class Organisation:
    people: list[Person] = field(default_factory=list)

    def add(self, role: Role, manager: int | None, label: str) -> int:
        number = len(self.people) + 1
        self.people.append(Person(f"load{number:05d}@example.com", f"{label}{number:05d}", role, manager))
        return number - 1


def plan_organisation(users: int) -> Organisation:
    """Admins and department heads (one each per 200 people), then teams of one manager and nine members."""
    org = Organisation()
    heads_count = max(1, users // 200)
    for _ in range(max(1, users // 200)):
        org.add(Role.ADMIN, None, "管理者")
    heads = [org.add(Role.MANAGER, None, "部長") for _ in range(heads_count)]
    rest = users - len(org.people)
    managers = [org.add(Role.MANAGER, heads[i % len(heads)], "課長") for i in range(math.ceil(rest / (TEAM_SIZE + 1)))]
    for i in range(users - len(org.people)):
        org.add(Role.MEMBER, managers[i // TEAM_SIZE], "メンバー")
    return org


def analysed_templates(settings: Settings) -> list[list[tuple[str, dict[str, Any]]]]:
    """For each month, each template record's text and the built-in engine's result for it."""
    analyzer = analyzer_for(settings.model_copy(update={"engine": "local"}))
    texts = [(RECORD_DIR / name).read_text(encoding="utf-8") for name in TEMPLATE_FILES]
    return [
        [(text, analyzer.analyze(text, session_date=held_on).model_dump(mode="json")) for text in texts]
        for held_on in MONTHS
    ]


def _insert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows at once; their new ids, in order."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _insert_users(session: Session, org: Organisation, password_hash: str) -> None:
    # Managers come before their reports, so each level can point at ids already inserted.
    for role_level in (None, "managers", "members"):
        batch = [
            p
            for p in org.people
            if (role_level is None and p.manager is None)
            or (role_level == "managers" and p.manager is not None and p.role == Role.MANAGER)
            or (role_level == "members" and p.role == Role.MEMBER)
        ]
        rows = [
            {
                "email": p.email,
                "name": p.name,
                "role": p.role,
                "manager_id": org.people[p.manager].id if p.manager is not None else None,
                "password_hash": password_hash,
                "is_active": True,
                "failed_login_count": 0,
            }
            for p in batch
        ]
        for person, new_id in zip(batch, _insert(session, User, rows), strict=True):
            person.id = new_id


def _insert_history(
    session: Session, org: Organisation, templates: list[list[tuple[str, dict[str, Any]]]]
) -> dict[int, dict[str, list[int]]]:
    """Six analysed records per member, each with an agreed plan; the ids per member."""
    members = [p for p in org.people if p.role == Role.MEMBER]
    now = utcnow()
    keys: list[tuple[Person, int, int]] = []
    record_rows = []
    for n, member in enumerate(members):
        manager = org.people[member.manager] if member.manager is not None else member
        for month, held_on in enumerate(MONTHS):
            template = (n + month) % len(TEMPLATE_FILES)
            keys.append((member, month, template))
            record_rows.append(
                {
                    "member_id": member.id,
                    "held_on": held_on,
                    "title": f"{held_on.month}月の1on1",
                    "content": templates[month][template][0],
                    "created_by_id": manager.id,
                }
            )
    record_ids = _insert(session, OneOnOne, record_rows)
    analysis_rows = [
        {
            "one_on_one_id": record_id,
            "status": AnalysisStatus.SUCCEEDED,
            "stage": "done",
            "progress": 100,
            "attempts": 1,
            "engine": "local",
            "result": templates[month][template][1],
            "queued_at": now,
            "started_at": now,
            "finished_at": now,
            "duration_ms": 60,
        }
        for record_id, (_member, month, template) in zip(record_ids, keys, strict=True)
    ]
    _insert(session, Analysis, analysis_rows)
    plan_rows = [
        {"one_on_one_id": record_id, "member_id": member.id, "status": PlanStatus.AGREED, "agreed_at": now}
        for record_id, (member, _month, _template) in zip(record_ids, keys, strict=True)
    ]
    plan_ids = _insert(session, ActionPlan, plan_rows)
    item_rows: list[dict[str, Any]] = []
    item_owner: list[Person] = []
    for plan_id, (member, month, template) in zip(plan_ids, keys, strict=True):
        suggestions = templates[month][template][1]["action_plan"][:3]
        statuses = STATUS_BY_AGE[len(MONTHS) - 1 - month]
        for position, (suggestion, status) in enumerate(zip(suggestions, statuses, strict=False)):
            item_rows.append(
                {
                    "plan_id": plan_id,
                    "position": position,
                    "title": suggestion["title"],
                    "skill": suggestion["skill"],
                    "due_date": MONTHS[month] + timedelta(days=14),
                    "success_metric": suggestion["success_metric"],
                    "steps": suggestion["steps"],
                    "status": status,
                    "source": "suggested",
                    "who": [],
                    "completed_at": now if status == ItemStatus.DONE else None,
                }
            )
            item_owner.append(member)
    item_ids = _insert(session, ActionPlanItem, item_rows)
    ids: dict[int, dict[str, list[int]]] = {m.id: {"records": [], "plans": [], "items": []} for m in members}
    for record_id, plan_id, (member, _month, _template) in zip(record_ids, plan_ids, keys, strict=True):
        ids[member.id]["records"].append(record_id)
        ids[member.id]["plans"].append(plan_id)
    for item_id, member in zip(item_ids, item_owner, strict=True):
        ids[member.id]["items"].append(item_id)
    return ids


def _insert_sessions(session: Session, org: Organisation, settings: Settings) -> None:
    """A live browser session for everyone, as if each had logged in earlier today (tokens store only a hash)."""
    now = utcnow()
    lifetime = timedelta(hours=settings.session_lifetime_hours)
    rows = []
    for person in org.people:
        person.session = secrets.token_urlsafe(32)
        rows.append(
            {
                "user_id": person.id,
                "kind": TokenKind.SESSION,
                "token_hash": tokens.hash_token(person.session),
                "created_at": now,
                "last_used_at": now,
                "expires_at": now + lifetime,
            }
        )
    _insert(session, AuthToken, rows)


def seed(settings: Settings, *, users: int = 1000, out: Path, sessions: bool = False) -> dict[str, float]:
    """Migrate and fill the database of ``settings``; write the Locust users' file to ``out``; the timings.

    With ``sessions``, everyone also gets a live browser session, which the Locust users then start with instead
    of logging in when they arrive (the re-logins during the run still go through the login form).
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    upgrade_schema(settings)
    timings["migrate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    templates = analysed_templates(settings)
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose, and every account shares it
    timings["analyse_templates_s"] = time.perf_counter() - started
    started = time.perf_counter()
    org = plan_organisation(users)
    engine = create_db_engine(settings)
    try:
        with transaction(create_session_factory(engine)) as session:
            _insert_users(session, org, password_hash)
            history = _insert_history(session, org, templates)
            if sessions:
                _insert_sessions(session, org, settings)
    finally:
        engine.dispose()
    timings["insert_s"] = time.perf_counter() - started
    _write_users(org, history, out)
    return timings


def _write_users(org: Organisation, history: dict[int, dict[str, list[int]]], out: Path) -> None:
    reports: dict[int, list[int]] = {}
    for person in org.people:
        if person.manager is not None:
            reports.setdefault(org.people[person.manager].id, []).append(person.id)
    users = [
        {
            "id": p.id,
            "email": p.email,
            "role": str(p.role),
            "reports": reports.get(p.id, []),
            "session": p.session,
            **history.get(p.id, {"records": [], "plans": [], "items": []}),
        }
        for p in org.people
    ]
    out.write_text(json.dumps({"password": PASSWORD, "users": users}), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sessions", action="store_true", help="give everyone a live browser session")
    args = parser.parse_args()
    timings = seed(Settings(), users=args.users, out=args.out, sessions=args.sessions)
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
