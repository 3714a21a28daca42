"""Coaching dialogues (対話セッション), their messages, and the action plans they produce.

A record has at most one dialogue and at most one plan. The dialogue is the member's own (psychological safety):
what the manager sees is the plan. Plan items keep where they came from: the member's own commitment (with the
sentence they wrote) or the analysis's suggestion.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sales_growth.db import Base, UTCDateTime, utcnow


class DialogueStatus(StrEnum):
    OPEN = "open"
    STOPPED = "stopped"  # coaching stopped for the member's safety; the caring reply stands
    COMPLETED = "completed"


class Dialogue(Base):
    __tablename__ = "dialogues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    one_on_one_id: Mapped[int] = mapped_column(ForeignKey("one_on_ones.id", ondelete="CASCADE"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # The analysis run the coach is grounded in: a later re-analysis does not change what was said.
    analysis_id: Mapped[int | None] = mapped_column(ForeignKey("analyses.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=DialogueStatus.OPEN)
    stage: Mapped[str] = mapped_column(String(16), default="goal")
    engine: Mapped[str] = mapped_column(String(16))  # the coach asked for; each message says which one answered
    dialogue_date: Mapped[date] = mapped_column(Date)  # relative dates (「明日」) are read against it
    turn_count: Mapped[int] = mapped_column(Integer, default=0)  # the member's messages
    safety_level: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    messages: Mapped[list[DialogueMessage]] = relationship(
        back_populates="dialogue", cascade="all, delete-orphan", lazy="raise", order_by="DialogueMessage.id"
    )


class DialogueMessage(Base):
    __tablename__ = "dialogue_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # coach | member
    content: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(16))
    engine: Mapped[str | None] = mapped_column(String(16))  # local | llm | safety, for coach messages
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # a member message that stopped the coaching
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dialogue: Mapped[Dialogue] = relationship(back_populates="messages")


class PlanStatus(StrEnum):
    DRAFT = "draft"
    AGREED = "agreed"


class ItemStatus(StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"


class ActionPlan(Base):
    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    one_on_one_id: Mapped[int] = mapped_column(ForeignKey("one_on_ones.id", ondelete="CASCADE"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    dialogue_id: Mapped[int | None] = mapped_column(ForeignKey("dialogues.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.DRAFT)
    goal: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[ActionPlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", lazy="raise", order_by="ActionPlanItem.position"
    )


class ActionPlanItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_plan_id_position", "plan_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    skill: Mapped[str] = mapped_column(String(32))
    due_date: Mapped[date] = mapped_column(Date)
    success_metric: Mapped[str] = mapped_column(Text)
    steps: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.TODO)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # commitment | suggested
    quote: Mapped[str | None] = mapped_column(Text)  # the member's own sentence, for a commitment
    who: Mapped[list[str]] = mapped_column(JSON, default=list)
    how_many: Mapped[str | None] = mapped_column(String(50))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    plan: Mapped[ActionPlan] = relationship(back_populates="items")
    comments: Mapped[list[ItemComment]] = relationship(
        back_populates="item", cascade="all, delete-orphan", lazy="raise", order_by="ItemComment.id"
    )


class ItemComment(Base):
    """A manager's (or admin's) comment on an item of a member's plan."""

    __tablename__ = "action_item_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ActionPlanItem] = relationship(back_populates="comments")
