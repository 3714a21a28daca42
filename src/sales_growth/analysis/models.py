"""The analysis contract: what every engine (built-in or LLM) returns.

The JSON form of :class:`AnalysisResult` is the public ``analyze --json`` shape of DESIGN.md.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

SkillId = Literal[
    "preparation",
    "hearing",
    "proposal",
    "objection_handling",
    "closing",
    "relationship",
    "activity_management",
    "product_knowledge",
    "communication",
    "mindset",
]
SKILL_IDS: tuple[SkillId, ...] = (
    "preparation",
    "hearing",
    "proposal",
    "objection_handling",
    "closing",
    "relationship",
    "activity_management",
    "product_knowledge",
    "communication",
    "mindset",
)
SKILL_LABELS_JA: dict[SkillId, str] = {
    "preparation": "事前準備",
    "hearing": "ヒアリング・質問力",
    "proposal": "提案・プレゼン",
    "objection_handling": "反論・懸念対応",
    "closing": "クロージング",
    "relationship": "関係構築",
    "activity_management": "行動・案件管理",
    "product_knowledge": "商品・業界知識",
    "communication": "報連相・社内連携",
    "mindset": "マインド・セルフケア",
}

Polarity = Literal["strength", "challenge"]


class Finding(BaseModel):
    """One strength or challenge of the junior in one skill, backed by a verbatim quote."""

    model_config = ConfigDict(frozen=True)

    skill: SkillId
    polarity: Polarity
    evidence: str = Field(min_length=1, description="A verbatim excerpt of the decoded input")
    confidence: float = Field(ge=0.0, le=1.0)


class SkillReport(BaseModel):
    """What the skill classifier found in one record: the findings and the primary challenge."""

    findings: list[Finding]
    primary_challenge: SkillId | None


class ActionItem(BaseModel):
    title: str = Field(min_length=1)
    skill: SkillId
    due_date: date
    success_metric: str = Field(min_length=1)
    steps: list[str] = Field(min_length=1, max_length=4)


class OpenItem(BaseModel):
    """An action item still open from the member's previous plan, as the progress reader needs it."""

    id: int
    title: str
    skill: SkillId | None = None
    who: list[str] = Field(default_factory=list)


class ItemProgress(BaseModel):
    """What a new record says about an open item of the previous plan, with the record's own words."""

    item_id: int
    title: str
    status: Literal["done", "in_progress", "not_done"]
    evidence: str = Field(min_length=1, description="A verbatim excerpt of the new record")


class AnalysisResult(BaseModel):
    """The result of analysing one 1on1 record."""

    engine: str
    summary: str
    keywords: list[str]
    findings: list[Finding]
    primary_challenge: SkillId | None
    action_plan: list[ActionItem]
    # Set when the requested engine could not be used and another one produced this result.
    fallback_reason: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    usage: dict[str, int] | None = None  # tokens spent by an LLM engine
    # Progress on the previous plan's open items, where the record speaks of them (set by the analysis job).
    item_progress: list[ItemProgress] | None = None


class Analyzer(Protocol):
    """An analysis engine. Both the built-in and the LLM engine implement it, and ``eval`` scores either."""

    name: str

    def analyze(self, text: str, *, session_date: date) -> AnalysisResult:
        """Analyse the decoded text of one record held on ``session_date``."""
        ...
