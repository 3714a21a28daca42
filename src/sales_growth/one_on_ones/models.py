"""1on1 records and the files they were uploaded from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sales_growth.db import Base, UTCDateTime, utcnow


class OneOnOne(Base):
    """One 1on1 held by a manager with a member. ``content`` is the decoded text that gets analysed."""

    __tablename__ = "one_on_ones"
    __table_args__ = (
        # The operations manual asks for this index: records are listed per member, newest first.
        Index("ix_one_on_ones_member_id_held_on", "member_id", "held_on"),
        # An admin's list of every record, newest first: a page read off the index instead of sorting them all.
        Index("ix_one_on_ones_held_on_id", "held_on", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    upload: Mapped[RecordUpload | None] = relationship(
        back_populates="one_on_one", cascade="all, delete-orphan", uselist=False, lazy="raise"
    )
    analyses: Mapped[list[Analysis]] = relationship(
        back_populates="one_on_one", cascade="all, delete-orphan", lazy="raise", order_by="Analysis.id"
    )


class RecordUpload(Base):
    """The file exactly as uploaded, kept beside the decoded text (its own table keeps lists light)."""

    __tablename__ = "record_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    one_on_one_id: Mapped[int] = mapped_column(ForeignKey("one_on_ones.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    encoding: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Up to a megabyte per record: lists and record pages load the row for its name and size, never the bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    one_on_one: Mapped[OneOnOne] = relationship(back_populates="upload")


class AnalysisStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Analysis(Base):
    """One analysis run of a record: the record of truth for the job, whatever the queue does.

    A record keeps every run as history; the newest is its current analysis.
    """

    __tablename__ = "analyses"
    __table_args__ = (
        Index("ix_analyses_status_heartbeat_at", "status", "heartbeat_at"),
        # A record's latest successful run (growth, team, record pages): without the status in the index the
        # planner walks every succeeded analysis of the organisation.
        Index("ix_analyses_one_on_one_id_status", "one_on_one_id", "status"),
        # The status page: runs finished (or failed) since a moment.
        Index("ix_analyses_status_finished_at", "status", "finished_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    one_on_one_id: Mapped[int] = mapped_column(ForeignKey("one_on_ones.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=AnalysisStatus.QUEUED)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    engine: Mapped[str] = mapped_column(String(16))  # the engine asked for; the result says which one answered
    model: Mapped[str | None] = mapped_column(String(100))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(100))  # host:pid of the process that claimed it

    one_on_one: Mapped[OneOnOne] = relationship(back_populates="analyses")
