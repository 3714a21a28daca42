"""Operations tables: the audit log and the maintenance state shared by every web process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sales_growth.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One audit-worthy event: who did what to whom, when, from where, and how it ended.

    ``actor_id`` and ``target_id`` are plain integers, not foreign keys: the log must outlive what it names and
    never change when a user row does. ``details`` holds small facts (a reason, a count, changed field names),
    never passwords, tokens or record text (see :func:`sales_growth.ops.audit.record_event`).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_action_occurred_at", "action", "occurred_at"),
        Index("ix_audit_events_actor_id_occurred_at", "actor_id", "occurred_at"),
        Index("ix_audit_events_target_id_occurred_at", "target_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # success | failure | denied
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)  # client IP, "cli" for the command line
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MaintenanceState(Base):
    """The one row (id 1) saying whether the system is in maintenance, and the announced next window."""

    __tablename__ = "maintenance_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    announcement_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    announcement_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    announcement_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
