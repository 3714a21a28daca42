"""Request and response shapes of the feedback API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sales_growth.analysis.models import Polarity, SkillId

COMMENT_MAX = 1000
QUOTE_MAX = 500


class RatingIn(BaseModel):
    score: int = Field(ge=1, le=5, description="1（役に立たなかった）〜 5（とても役に立った）")
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)


class RatingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    analysis_id: int | None
    plan_id: int | None
    author_id: int
    score: int
    comment: str | None
    updated_at: datetime


class CorrectionIn(BaseModel):
    """``wrong``: ``finding_index`` of the finding in the analysis's result. ``missed``: ``skill``, ``polarity`` and
    optionally ``quote``, copied word for word from the record."""

    kind: Literal["wrong", "missed"]
    finding_index: int | None = Field(default=None, ge=0)
    skill: SkillId | None = None
    polarity: Polarity | None = None
    quote: str | None = Field(default=None, max_length=QUOTE_MAX)


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    analysis_id: int
    author_id: int
    kind: Literal["wrong", "missed"]
    finding_index: int | None
    skill: str
    polarity: str
    quote: str | None
    created_at: datetime


class FeedbackOut(BaseModel):
    """What has been said about one analysis: the caller's own rating, everyone's average, and the corrections."""

    my_rating: RatingOut | None
    average: float | None
    count: int
    corrections: list[CorrectionOut]


class Satisfaction(BaseModel):
    average: float | None  # mean score 1–5
    count: int
    days: int


class Accuracy(BaseModel):
    value: float | None  # 0–1; None when nothing was reviewed in the window
    analyses: int
    findings: int
    wrong: int
    missed: int
    days: int


class KpisOut(BaseModel):
    satisfaction: Satisfaction
    ai_accuracy: Accuracy
