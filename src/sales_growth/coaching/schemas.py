"""Request and response shapes of the coaching API: dialogues, action plans, items, comments, growth, teams."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NOTE_MAX = 2000
COMMENT_MAX = 2000


class MessageIn(BaseModel):
    # The length limit is a setting (dialogue_message_max_chars); the service checks it with a clear message.
    content: str


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: Literal["coach", "member"]
    content: str
    stage: str
    engine: str | None = None
    fallback_reason: str | None = None
    created_at: datetime


class DialogueOut(BaseModel):
    """A dialogue. ``messages`` is present for the member only: an admin sees that it exists and its status."""

    id: int
    one_on_one_id: int
    member_id: int
    status: Literal["open", "stopped", "completed"]
    stage: str
    stage_label: str
    engine: str
    dialogue_date: date
    turn_count: int
    max_turns: int
    turns_left: int
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    plan_id: int | None = None
    messages: list[MessageOut] | None = None


class TurnOut(BaseModel):
    """The coach's reply to one message, and the dialogue after it."""

    reply: MessageOut
    dialogue: DialogueOut


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=COMMENT_MAX)


class CommentOut(BaseModel):
    id: int
    author_id: int
    author_name: str
    body: str
    created_at: datetime


class ItemOut(BaseModel):
    id: int
    title: str
    skill: str
    skill_label: str
    due_date: date
    success_metric: str
    steps: list[str]
    status: Literal["todo", "doing", "done"]
    note: str | None = None
    overdue: bool
    completed_at: datetime | None = None
    source: Literal["commitment", "suggested"]
    quote: str | None = None  # the member's own sentence, for a commitment
    who: list[str]
    how_many: str | None = None
    comments: list[CommentOut]


class PlanOut(BaseModel):
    id: int
    one_on_one_id: int
    member_id: int
    dialogue_id: int | None = None
    status: Literal["draft", "agreed"]
    goal: str | None = None
    created_at: datetime
    agreed_at: datetime | None = None
    items: list[ItemOut]
    total: int
    done: int
    overdue: int


class ItemUpdate(BaseModel):
    """What the member may change on an item: its progress and note, and (to make it their own) its content."""

    status: Literal["todo", "doing", "done"] | None = None
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    due_date: date | None = None
    success_metric: str | None = Field(default=None, min_length=1, max_length=1000)
    steps: list[str] | None = Field(default=None, min_length=1, max_length=4)


class OpenItemOut(BaseModel):
    """An item of the member's previous plan that was still open when this record was made."""

    id: int
    plan_id: int
    one_on_one_id: int
    title: str
    skill: str
    due_date: date
    status: Literal["todo", "doing", "done"]
    note: str | None = None
    overdue: bool


class GrowthPoint(BaseModel):
    date: date
    score: float


class Completion(BaseModel):
    total: int
    done: int
    overdue: int
    rate: float | None  # done / total; None with no items yet


class GrowthOut(BaseModel):
    member_id: int
    skills: dict[str, list[GrowthPoint]]  # skill id → points in date order, ready for a line chart
    labels: dict[str, str]
    action_completion: Completion
    one_on_ones: int


class SkillCount(BaseModel):
    skill: str
    label: str
    count: int


class TeamMemberOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    manager_id: int | None
    last_one_on_one: date | None
    open_items: int
    overdue_items: int
    frequent_challenges: list[SkillCount]


class TeamOut(BaseModel):
    items: list[TeamMemberOut]
    total: int
