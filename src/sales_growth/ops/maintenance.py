"""Maintenance mode and announced maintenance windows, kept in the database so every web process sees them.

While maintenance is on, every request from anyone but an admin gets 503 with the message and ``Retry-After``
(JSON under ``/api/``, a Japanese page elsewhere); ``/health``, ``/metrics``, the login routes and the maintenance
status stay reachable so that operators can check the system and admins can log in and keep working.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from sales_growth.db import transaction
from sales_growth.ops.audit import record_event
from sales_growth.ops.models import MaintenanceState

JST = ZoneInfo("Asia/Tokyo")
DEFAULT_MESSAGE = "ただいまシステムメンテナンス中です。しばらくしてから再度アクセスしてください。"
DEFAULT_RETRY_SECONDS = 300
_STATE_ID = 1
_WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class Status:
    """What the gate and the pages need to know, as a plain value that can be cached between requests."""

    active: bool = False
    message: str | None = None
    until: datetime | None = None
    announcement_start: datetime | None = None
    announcement_end: datetime | None = None
    announcement_message: str | None = None

    def retry_after(self, now: datetime) -> int:
        """Seconds until the announced end, at least a minute; five minutes when no end was given (or it passed)."""
        if self.until is None or self.until <= now:
            return DEFAULT_RETRY_SECONDS
        return max(60, int((self.until - now).total_seconds()))

    def notice(self) -> str:
        text = self.message or DEFAULT_MESSAGE
        return f"{text}（終了予定: {format_moment(self.until)}）" if self.until else text

    def banner(self, now: datetime) -> str | None:
        """The announcement of an upcoming window, until it ends; None when there is nothing to announce."""
        if self.announcement_start is None or self.announcement_end is None or now >= self.announcement_end:
            return None
        window = f"{format_moment(self.announcement_start)}〜{format_moment(self.announcement_end)}"
        extra = f" {self.announcement_message}" if self.announcement_message else ""
        return f"メンテナンスのお知らせ: {window}{extra}"


def format_moment(moment: datetime | None) -> str:
    """``12月8日(火) 22:00`` in Japan time."""
    if moment is None:
        return ""
    local = moment.astimezone(JST)
    return f"{local.month}月{local.day}日({_WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def read_status(session: Session) -> Status:
    state = session.get(MaintenanceState, _STATE_ID)
    if state is None:
        return Status()
    return Status(
        active=state.active,
        message=state.message,
        until=state.until,
        announcement_start=state.announcement_start,
        announcement_end=state.announcement_end,
        announcement_message=state.announcement_message,
    )


def _state(session: Session) -> MaintenanceState:
    state = session.get(MaintenanceState, _STATE_ID, with_for_update=True)
    if state is None:
        state = MaintenanceState(id=_STATE_ID, active=False)
        session.add(state)
    return state


def turn_on(
    session: Session, *, message: str | None, until: datetime | None, now: datetime, actor_id: int | None = None
) -> Status:
    """Start maintenance (audited as ``maintenance_on``). Calling it again updates the message and end."""
    state = _state(session)
    state.active, state.message, state.until, state.started_at = True, message, until, now
    session.flush()
    record_event("maintenance_on", session=session, actor_id=actor_id, address="cli", notice=message, until=until)
    return read_status(session)


def turn_off(session: Session, *, now: datetime, actor_id: int | None = None) -> Status:
    """End maintenance (audited as ``maintenance_off``, with how long it lasted)."""
    state = _state(session)
    started, state.active, state.message, state.until = state.started_at, False, None, None
    session.flush()
    minutes = round((now - started).total_seconds() / 60) if started else None
    record_event("maintenance_off", session=session, actor_id=actor_id, address="cli", minutes=minutes)
    return read_status(session)


def announce(session: Session, *, start: datetime, end: datetime, message: str, actor_id: int | None = None) -> Status:
    """Announce the next window; pages show it as a banner until it ends (audited as ``maintenance_announced``)."""
    state = _state(session)
    state.announcement_start, state.announcement_end, state.announcement_message = start, end, message
    session.flush()
    record_event("maintenance_announced", session=session, actor_id=actor_id, address="cli", start=start, end=end)
    return read_status(session)


class StatusCache:
    """The status as read at most every ``ttl_seconds`` per process: the gate runs on every request."""

    def __init__(self, factory: sessionmaker[Session], *, ttl_seconds: float) -> None:
        self._factory = factory
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._value = Status()
        self._read_at: float | None = None

    def fresh(self) -> Status | None:
        """The status when read less than ``ttl_seconds`` ago, without touching the database; else None."""
        now = time.monotonic()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self._ttl:
                return self._value
        return None

    def get(self) -> Status:
        now = time.monotonic()
        fresh = self.fresh()
        if fresh is not None:
            return fresh
        with transaction(self._factory) as session:
            value = read_status(session)
        with self._lock:
            self._value, self._read_at = value, now
        return value


def page(status: Status) -> str:
    """The Japanese page shown to people while maintenance is on (no script, no inline style)."""
    return (
        '<!doctype html>\n<html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>メンテナンス中 | 営業グロースAI</title></head>\n"
        f'<body><main><h1>メンテナンス中です</h1><p role="status">{escape(status.notice())}</p>'
        "<p>ご不便をおかけしますが、終了までお待ちください。</p></main></body></html>\n"
    )
