"""Ratings (1–5 with an optional comment) of analyses and plans, and human corrections of an analysis's findings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sales_growth.db import Base, UTCDateTime, utcnow


class Rating(Base):
    """One person's rating of one analysis run or one action plan (exactly one of the two is set).

    Rating again replaces the earlier rating: one person, one voice per analysis or plan.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("analysis_id", "author_id"),
        UniqueConstraint("plan_id", "author_id"),
        Index("ix_ratings_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int | None] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"), nullable=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"), nullable=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)  # whose 1on1
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CorrectionKind(StrEnum):
    WRONG = "wrong"  # a finding of the analysis that a person says is not so
    MISSED = "missed"  # a finding the analysis should have made and did not


class FindingCorrection(Base):
    """A member's or manager's correction of one analysis run's findings.

    ``wrong`` names the finding by its position in the run's result (a run's result never changes) and keeps a
    copy of its skill and polarity; ``missed`` gives the skill, the polarity and, optionally, the record's words.
    """

    __tablename__ = "finding_corrections"
    __table_args__ = (Index("ix_finding_corrections_analysis_id_kind", "analysis_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    finding_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    skill: Mapped[str] = mapped_column(String(32))
    polarity: Mapped[str] = mapped_column(String(16))
    quote: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
