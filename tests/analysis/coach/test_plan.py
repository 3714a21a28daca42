"""The action plan of a dialogue: commitments first, suggested actions for uncovered challenges, 1 to 6 items."""

from __future__ import annotations

from datetime import date

from sales_growth.analysis.coach.commitments import Commitment
from sales_growth.analysis.coach.models import DialogueOutcome
from sales_growth.analysis.coach.plan import build_plan
from sales_growth.analysis.models import AnalysisResult
from tests.analysis.coach.helpers import context


def _commitment(what: str, **extra: object) -> Commitment:
    return Commitment(what=what, quote=what + "。", **extra)  # type: ignore[arg-type]


def test_commitments_come_first_in_the_juniors_words_then_uncovered_challenges() -> None:
    outcome = DialogueOutcome(
        commitments=[_commitment("田中部長に予算を確認します", skill="hearing", due_date=date(2026, 11, 30))]
    )
    first, second = build_plan(context(), outcome)
    assert (first.title, first.source, first.due_date) == (
        "田中部長に予算を確認します",
        "commitment",
        date(2026, 11, 30),
    )
    assert first.quote == "田中部長に予算を確認します。"
    assert (second.skill, second.source) == ("proposal", "suggested")  # hearing is covered by the commitment


def test_a_commitment_without_date_or_criterion_gets_the_next_1on1_and_a_measurable_criterion() -> None:
    (item, _) = build_plan(
        context(), DialogueOutcome(commitments=[_commitment("質問を5つ用意します", skill="hearing")])
    )
    assert item.due_date == date(2026, 12, 11)
    assert item.success_metric == "12月11日（金）までに「質問を5つ用意します」をやり終え、結果を上司に共有する"
    assert 1 <= len(item.steps) <= 4


def test_the_plan_keeps_at_most_six_items() -> None:
    many = [_commitment(f"行動その{i}をやります", skill="closing") for i in range(8)]
    assert len(build_plan(context(), DialogueOutcome(commitments=many))) == 6


def test_without_commitments_the_plan_is_the_analysis_suggestion() -> None:
    items = build_plan(context(), DialogueOutcome())
    assert [i.skill for i in items] == ["hearing", "proposal"]
    assert all(i.source == "suggested" for i in items)


def test_a_plan_is_never_empty() -> None:
    empty = AnalysisResult(engine="local", summary="", keywords=[], findings=[], primary_challenge=None, action_plan=[])
    (item,) = build_plan(context(analysis=empty, customer=None), DialogueOutcome())
    assert item.skill == "activity_management"
    assert item.due_date > date(2026, 11, 27)
