"""What a coach grounds its questions in: the record's findings with their evidence, its customer, and the
action templates of the skill in focus. Both coaches use it, so the built-in and the LLM coach say the same
things about the same record."""

from __future__ import annotations

from dataclasses import dataclass

from sales_growth.analysis.coach.models import CoachContext
from sales_growth.analysis.models import SKILL_LABELS_JA, ActionItem, Finding, SkillId
from sales_growth.analysis.planner import NO_CUSTOMER, ActionTemplate, load_templates, main_customer
from sales_growth.analysis.reading import read_transcript

MAX_OPTIONS = 3
_MAX_QUOTE = 80


@dataclass(frozen=True)
class Grounding:
    focus: SkillId | None  # the primary challenge, else the first challenge, else the best strength
    challenge: Finding | None  # the finding behind the focus, when it is a challenge
    strength: Finding | None  # the strength worth building on (another skill than the focus when there is one)
    customer: str | None
    keywords: tuple[str, ...]
    suggested: tuple[ActionItem, ...]  # the analysis's own action plan
    challenges: tuple[SkillId, ...]  # every challenge, primary first

    @property
    def focus_label(self) -> str:
        return SKILL_LABELS_JA[self.focus] if self.focus else "営業の仕事"

    def templates(self, skill: SkillId | None = None) -> tuple[ActionTemplate, ...]:
        chosen = skill or self.focus
        return load_templates()[chosen] if chosen else ()

    def options(self) -> list[str]:
        """Up to three options for the focus skill: the analysis's suggestion, then the skill's templates."""
        titles = [a.title for a in self.suggested if a.skill == self.focus]
        titles += [t.title.format(customer=self.customer or NO_CUSTOMER) for t in self.templates()]
        return list(dict.fromkeys(titles))[:MAX_OPTIONS]

    def example_goal(self) -> str:
        templates = self.templates()
        return templates[0].metric if templates else "次の1on1までに、取り組むことを1つ決めてやり切る"


def ground(context: CoachContext) -> Grounding:
    """The grounding of a dialogue, from its context."""
    analysis = context.analysis
    challenges = [f for f in analysis.findings if f.polarity == "challenge"]
    strengths = sorted((f for f in analysis.findings if f.polarity == "strength"), key=lambda f: -f.confidence)
    focus = analysis.primary_challenge or (challenges[0].skill if challenges else None)
    challenge = next((f for f in challenges if f.skill == focus), None)
    if focus is None and strengths:
        focus = strengths[0].skill
    strength = next((f for f in strengths if f.skill != focus), strengths[0] if strengths else None)
    ordered = sorted(dict.fromkeys(f.skill for f in challenges), key=lambda s: s != focus)
    return Grounding(
        focus=focus,
        challenge=challenge,
        strength=strength,
        customer=context.customer,
        keywords=tuple(analysis.keywords),
        suggested=tuple(analysis.action_plan),
        challenges=tuple(ordered),
    )


def customer_of(record_text: str, keywords: list[str]) -> str | None:
    """The customer a record talks about most (「青葉電機様」), or None when it names none."""
    customer = main_customer(read_transcript(record_text), keywords)
    return None if customer == NO_CUSTOMER else customer


def quote(text: str, limit: int = _MAX_QUOTE) -> str:
    """A quotation short enough for a question: the text up to ``limit`` characters, cut at a clause."""
    text = " ".join(text.split()).rstrip("。")
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in "、。，,")
    return text[: cut if cut > limit // 2 else limit] + "…"
