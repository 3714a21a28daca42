"""Scoring: hand-made predictions against hand-made gold, so each score can be checked by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sales_growth.analysis.evaluation import Case, DatasetError, LabelledRecord, load_dataset, plan_problems, score
from sales_growth.analysis.models import ActionItem, AnalysisResult, Finding

TEXT = "課長：予算は？\n新人：聞けていません。\n課長：準備は良かった。\n"


def _case(record_id: str = "r1") -> Case:
    label = LabelledRecord.model_validate(
        {
            "id": record_id,
            "file": "cases/r1.txt",
            "session_date": "2026-11-02",
            "gold": {
                "challenges": ["hearing"],
                "strengths": ["preparation"],
                "primary_challenge": "hearing",
                "keywords": ["予算", "決裁者"],
            },
        }
    )
    return Case(label, TEXT)


def _action(skill: str, due: date) -> ActionItem:
    return ActionItem(
        title="予算を確認する",
        skill=skill,
        due_date=due,
        success_metric="次回までに1件確認する",  # type: ignore[arg-type]
        steps=["電話する"],
    )


def _result(findings: list[tuple[str, str, str]], primary: str | None, actions: list[ActionItem]) -> AnalysisResult:
    return AnalysisResult(
        engine="test",
        summary="",
        keywords=["予算", "顧客"],
        findings=[Finding(skill=s, polarity=p, evidence=e, confidence=0.5) for s, p, e in findings],  # type: ignore[arg-type]
        primary_challenge=primary,  # type: ignore[arg-type]
        action_plan=actions,
    )


def test_perfect_predictions_score_one() -> None:
    result = _result(
        [("hearing", "challenge", "聞けていません。"), ("preparation", "strength", "準備は良かった。")],
        "hearing",
        [_action("hearing", date(2026, 11, 9))],
    )
    scores = score([_case()], [result])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    assert scores.primary_accuracy == 1.0
    assert scores.evidence_validity == 1.0
    assert scores.keyword_recall_at_10 == 0.5
    assert scores.action_plan_validity == 1.0


def test_a_false_finding_and_a_miss_lower_precision_and_recall() -> None:
    result = _result([("closing", "challenge", "予算は？")], "closing", [_action("closing", date(2026, 11, 9))])
    scores = score([_case()], [result])
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)
    assert scores.primary_accuracy == 0.0
    assert scores.records[0].missed == [("hearing", "challenge"), ("preparation", "strength")]


def test_evidence_not_in_the_input_is_invalid_even_with_other_whitespace_allowed() -> None:
    result = _result(
        [("hearing", "challenge", "聞けて いません。"), ("preparation", "strength", "準備は完璧だった。")],
        "hearing",
        [],
    )
    assert score([_case()], [result]).evidence_validity == 0.5


@pytest.mark.parametrize(
    ("actions", "problem"),
    [
        ([], "アクションのない課題"),
        ([_action("hearing", date(2026, 11, 2))], "期限"),
        ([_action("hearing", date(2026, 12, 31))], "期限"),
    ],
)
def test_invalid_plans_are_reported(actions: list[ActionItem], problem: str) -> None:
    result = _result([("hearing", "challenge", "聞けていません。")], "hearing", actions)
    assert any(problem in p for p in plan_problems(result, date(2026, 11, 2)))


def test_a_folder_without_labels_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"labels\.jsonl"):
        load_dataset(tmp_path)


def test_a_cp932_case_is_decoded_with_its_declared_encoding(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "r1.txt").write_bytes(TEXT.encode("cp932"))
    (tmp_path / "labels.jsonl").write_text(
        '{"id": "r1", "file": "cases/r1.txt", "encoding": "cp932", "session_date": "2026-11-02", '
        '"gold": {"challenges": [], "strengths": [], "primary_challenge": null, "keywords": []}}\n',
        encoding="utf-8",
    )
    assert load_dataset(tmp_path)[0].text == TEXT
