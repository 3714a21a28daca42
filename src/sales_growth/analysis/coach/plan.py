"""The action plan of a dialogue: the junior's commitments (their words, their dates) first, then the analysis's
suggested actions for the challenges no commitment covers; 1 to 6 items, each with a title, a skill, a due date,
a success criterion and steps.

A commitment without a date is due at the next 1on1; without a criterion it gets one from its own words and
date; its steps are those of its skill's first template. When the dialogue and the analysis give nothing, one
item for the skill in focus (or for planning the week) keeps the plan from being empty.
"""

from __future__ import annotations

from sales_growth.analysis.calendar import add_business_days
from sales_growth.analysis.coach.commitments import Commitment
from sales_growth.analysis.coach.dates import describe, next_one_on_one_date
from sales_growth.analysis.coach.grounding import Grounding, ground
from sales_growth.analysis.coach.models import CoachContext, DialogueOutcome, PlannedItem
from sales_growth.analysis.models import SkillId
from sales_growth.analysis.planner import NO_CUSTOMER, load_templates

MAX_ITEMS = 6
TITLE_MAX = 200
_FALLBACK_SKILL: SkillId = "activity_management"


def build_plan(context: CoachContext, outcome: DialogueOutcome) -> list[PlannedItem]:
    """The plan's items, commitments first."""
    grounding = ground(context)
    items = [_from_commitment(context, grounding, c) for c in outcome.commitments[:MAX_ITEMS]]
    covered = {item.skill for item in items}
    for action in context.analysis.action_plan:
        if len(items) >= MAX_ITEMS:
            break
        if action.skill not in covered and action.skill in grounding.challenges:
            items.append(PlannedItem(**action.model_dump(), source="suggested"))
            covered.add(action.skill)
    return items or [_fallback(context, grounding)]


def _from_commitment(context: CoachContext, grounding: Grounding, commitment: Commitment) -> PlannedItem:
    skill = commitment.skill or grounding.focus or _FALLBACK_SKILL
    due = commitment.due_date or next_one_on_one_date(context.dialogue_date, context.next_one_on_one_days)
    title = commitment.what[:TITLE_MAX]
    return PlannedItem(
        title=title,
        skill=skill,
        due_date=due,
        success_metric=commitment.success_metric or f"{describe(due)}までに「{title}」をやり終え、結果を上司に共有する",
        steps=list(load_templates()[skill][0].steps[:4]),
        source="commitment",
        quote=commitment.quote,
        who=commitment.who,
        how_many=commitment.how_many,
    )


def _fallback(context: CoachContext, grounding: Grounding) -> PlannedItem:
    template = load_templates()[grounding.focus or _FALLBACK_SKILL][0]
    return PlannedItem(
        title=template.title.format(customer=context.customer or NO_CUSTOMER),
        skill=template.skill,
        due_date=add_business_days(context.dialogue_date, template.days),
        success_metric=template.metric,
        steps=list(template.steps[:4]),
        source="suggested",
    )
