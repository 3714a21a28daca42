"""The coaching contract: what a coach (built-in or LLM) is given and what it returns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from sales_growth.analysis.coach.commitments import Commitment
from sales_growth.analysis.coach.dates import NEXT_ONE_ON_ONE_DAYS
from sales_growth.analysis.models import AnalysisResult, SkillId

Stage = Literal["goal", "reality", "options", "will", "confirm", "closed"]
STAGES: tuple[Stage, ...] = ("goal", "reality", "options", "will", "confirm", "closed")
STAGE_LABELS_JA: dict[Stage, str] = {
    "goal": "目標（Goal）",
    "reality": "現状（Reality）",
    "options": "選択肢（Options）",
    "will": "行動の決定（Will）",
    "confirm": "確認",
    "closed": "完了",
}
Role = Literal["coach", "member"]


class Turn(BaseModel):
    """One message of the dialogue."""

    role: Role
    content: str


class CoachContext(BaseModel):
    """What the coach knows: the record's analysis and who is talking. The dialogue itself comes as turns."""

    analysis: AnalysisResult
    dialogue_date: date
    member_name: str | None = None
    manager_name: str | None = None
    customer: str | None = None  # the customer the record talks about most, e.g. 「青葉電機様」
    next_one_on_one_days: int = NEXT_ONE_ON_ONE_DAYS
    max_turns: int = 20  # the junior's messages; the coach confirms before the last one


class DialogueOutcome(BaseModel):
    """What the dialogue has produced so far, in the junior's words."""

    goal: str | None = None
    reality: str | None = None
    options: list[str] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    confirmed: bool = False


class CoachReply(BaseModel):
    content: str
    stage: Stage
    outcome: DialogueOutcome
    engine: str = "local"
    fallback_reason: str | None = None  # set when the LLM coach could not answer and the built-in one did


class StreamReset(BaseModel):
    """In a streamed reply: the text so far is void (the LLM failed midway); the built-in coach's reply follows."""

    reason: str


class PlannedItem(BaseModel):
    """One item of the action plan a dialogue produces."""

    title: str = Field(min_length=1, max_length=200)
    skill: SkillId
    due_date: date
    success_metric: str = Field(min_length=1)
    steps: list[str] = Field(min_length=1, max_length=4)
    source: Literal["commitment", "suggested"]
    quote: str | None = None  # the junior's own sentence, for a commitment
    who: list[str] = Field(default_factory=list)
    how_many: str | None = None


class Coach(Protocol):
    """A coaching engine. ``history`` is the whole dialogue so far, ending with the junior's newest message."""

    name: str

    def opening(self, context: CoachContext) -> CoachReply:
        """The first message: the record's findings, with their evidence, and the first question."""
        ...

    def reply(self, context: CoachContext, history: list[Turn]) -> CoachReply:
        """The answer to the junior's newest message."""
        ...

    def stream_reply(self, context: CoachContext, history: list[Turn]) -> Iterator[str | StreamReset | CoachReply]:
        """The answer in pieces of text as they come, then the whole :class:`CoachReply` as the last item.

        A :class:`StreamReset` voids the pieces before it: the answer starts again (from the built-in coach)."""
        ...

    def outcome(self, context: CoachContext, history: list[Turn]) -> DialogueOutcome:
        """What the whole dialogue produced (goal, commitments), for the action plan."""
        ...
