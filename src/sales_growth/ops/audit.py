"""The audit log: rows written in the caller's transaction, listed for admins, exported as CSV.

Writing in the caller's session means an event exists exactly when what it describes happened: a user created in
a transaction that rolls back leaves no ``user_created`` behind. Events about *refusals* must outlive the refused
request, so their callers commit before raising (the login routes) or record them in a transaction of their own
(:func:`record_denial`, used by the error handler for every 403).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from sales_growth.db import transaction, utcnow
from sales_growth.ops import metrics
from sales_growth.ops.models import AuditEvent

_log = structlog.get_logger("sales_growth.audit")

# The fixed vocabulary of DESIGN.md. An unknown action is a programming error, caught by the tests.
ACTIONS = frozenset(
    {
        "login_succeeded",
        "login_failed",
        "account_locked",
        "account_unlocked",
        "logout",
        "permission_denied",
        "user_created",
        "user_updated",
        "role_changed",
        "manager_changed",
        "password_changed",
        "user_deactivated",
        "user_reactivated",
        "audit_exported",
        "backup_created",
        "backup_restored",
        "maintenance_on",
        "maintenance_off",
        "maintenance_announced",
        "rate_limited",
        "safety_event",
    }
)
# What ``target_id`` names when the caller does not say; account events name users.
_DEFAULT_TARGETS: dict[str, str | None] = {"safety_event": None}
_FAILURES = frozenset({"login_failed", "account_locked", "rate_limited"})
_DENIALS = frozenset({"permission_denied"})

# Keys whose values could carry a secret or a person's words; they never reach the log, whatever the caller passes.
_FORBIDDEN_KEYS = ("password", "token", "secret", "content", "text", "transcript", "message", "evidence")
_MAX_DETAIL_CHARS = 200


def record_event(
    action: str,
    *,
    session: Session,
    actor_id: int | None = None,
    target_id: int | None = None,
    target_type: str | None = None,
    outcome: str | None = None,
    address: str | None = None,
    **details: object,
) -> AuditEvent:
    """Add one audit event to ``session`` (flushed, committed with the caller's transaction).

    ``action`` comes from :data:`ACTIONS`; ``target_type`` defaults to ``"user"``. ``address`` defaults to the
    client address of the current request (``None`` outside one). ``details`` are small facts; keys that could
    hold secrets or record text are dropped.
    Example: ``record_event("safety_event", session=session, actor_id=member.id, target_id=dialogue.id,
    target_type="dialogue", category="self_harm")``.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to sales_growth.ops.audit.ACTIONS")
    context = structlog.contextvars.get_contextvars()
    event = AuditEvent(
        occurred_at=utcnow(),
        action=action,
        outcome=outcome or _default_outcome(action),
        actor_id=actor_id,
        target_type=(target_type or _DEFAULT_TARGETS.get(action, "user")) if target_id is not None else None,
        target_id=target_id,
        address=address or context.get("client_ip"),
        request_id=context.get("request_id"),
        details=safe_details(details),
    )
    session.add(event)
    session.flush()
    metrics.observe_login(action, details.get("reason"))
    # The log line repeats the row (details are already free of secrets and record text) for log-based alerting.
    _log.info("audit", action=action, outcome=event.outcome, actor_id=actor_id, target_id=target_id, **event.details)
    return event


def _default_outcome(action: str) -> str:
    if action in _DENIALS:
        return "denied"
    return "failure" if action in _FAILURES else "success"


def safe_details(details: dict[str, object]) -> dict[str, Any]:
    """JSON-safe, short details without any key that might carry a secret or a person's words."""
    kept: dict[str, Any] = {}
    for key, value in details.items():
        if any(word in key.lower() for word in _FORBIDDEN_KEYS):
            continue
        kept[key] = _short(value)
    return kept


def _short(value: object) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_short(item) for item in list(value)[:20]]
    return str(value)[:_MAX_DETAIL_CHARS]


def record_denial(
    factory: sessionmaker[Session], *, actor_id: int | None, method: str, path: str, reason: str | None = None
) -> None:
    """A ``permission_denied`` event in a transaction of its own: the refused request's transaction rolls back."""
    try:
        with transaction(factory) as session:
            record_event(
                "permission_denied",
                session=session,
                actor_id=actor_id,
                target_id=None,
                method=method,
                path=path[:200],
                reason=reason,
            )
    except Exception:  # auditing must never turn a 403 into a 500
        _log.exception("could not record a permission denial")


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_id: int | None = None
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


def _query(filters: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.target_id is not None:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def list_events(session: Session, filters: AuditFilter) -> tuple[list[AuditEvent], int]:
    """Events matching ``filters``, newest first, and their total before paging. Callers check for admin."""
    query = _query(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(filters.limit)
    return list(session.scalars(page.offset(filters.offset))), total


def iter_events(session: Session, filters: AuditFilter) -> Iterator[AuditEvent]:
    """Every matching event, oldest first, read in batches (for the CSV export)."""
    query = _query(filters).order_by(AuditEvent.occurred_at, AuditEvent.id)
    yield from session.scalars(query.execution_options(yield_per=500))


CSV_COLUMNS = (
    "id",
    "occurred_at",
    "action",
    "outcome",
    "actor_id",
    "actor_email",
    "target_type",
    "target_id",
    "address",
    "request_id",
    "details",
)


def write_csv(events: Iterable[AuditEvent], emails: dict[int, str], out: io.TextIOBase | Any) -> int:
    """Write ``events`` as CSV (UTF-8, a header row) to ``out``; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        writer.writerow(
            [
                event.id,
                event.occurred_at.isoformat(),
                event.action,
                event.outcome,
                event.actor_id if event.actor_id is not None else "",
                emails.get(event.actor_id, "") if event.actor_id is not None else "",
                event.target_type or "",
                event.target_id if event.target_id is not None else "",
                event.address or "",
                event.request_id or "",
                json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True),
            ]
        )
        count += 1
    return count
