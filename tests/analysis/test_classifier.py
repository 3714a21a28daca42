"""The learned skill classifier: the shipped model, its arithmetic, and what it makes of short records."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sales_growth.analysis.classifier import (
    ClauseModel,
    Linear,
    SkillModel,
    classify,
    clause_scores,
    evidence_scores,
    load_model,
)
from sales_growth.analysis.models import SKILL_IDS
from sales_growth.analysis.reading import read_transcript
from tests.analysis.test_findings import CASES, NOT_LABELLED


def test_the_shipped_model_has_every_output_and_a_sane_threshold() -> None:
    model = load_model()
    expected = {"polarity:strength", "polarity:challenge"} | {f"topic:{s}" for s in SKILL_IDS}
    assert set(model.clause.outputs) == expected
    assert 0.2 <= model.threshold <= 0.8
    assert model.meta["records"] >= 200
    assert model.clause.table.shape == (len(model.clause.index), len(model.clause.outputs))


def test_a_linear_model_is_a_logistic_of_its_weighted_features() -> None:
    model = Linear(bias=-1.0, weights={"a": 2.0, "b": -0.5})
    assert math.isclose(model.probability({"a": 1.0, "b": 2.0, "unknown": 5.0}), 1 / (1 + math.exp(0.0)))
    assert model.probability({"a": 100.0}) <= 1.0


def test_the_model_survives_being_written_and_read(tmp_path: Path) -> None:
    model = load_model()
    model.write(tmp_path)
    again = SkillModel.read(tmp_path)
    features = [{"bias": 1.0, "w:聞く": 1.0, "neg": 1.0, "c2:聞け": 1.0}, {}, {"w:準備": 1.0}]
    assert np.array_equal(clause_scores(again, features), clause_scores(model, features))
    assert again.record == model.record
    assert again.threshold == model.threshold


def test_clause_probabilities_are_logistic_in_the_weighted_features() -> None:
    model = ClauseModel(
        outputs=("x", "y"),
        biases=np.array([0.0, -1.0], dtype=np.float32),
        index={"f": 0, "g": 1},
        table=np.array([[2.0, -2.0], [1.0, 1.0]], dtype=np.float32),
    )
    got = model.probabilities([{"f": 1.0}, {}, {"f": 0.5, "g": 2.0, "unknown": 9.0}])
    expected = [[2.0, -3.0], [0.0, -1.0], [3.0, 0.0]]
    for row, logits in zip(got, expected, strict=True):
        assert [round(p, 6) for p in row] == [round(1 / (1 + math.exp(-z)), 6) for z in logits]


def test_a_meeting_without_a_junior_gets_no_findings() -> None:
    text = "司会：では始めます。\n佐藤：来期の予算の件です。\n鈴木：承知しました。\n"
    report = classify(read_transcript(text))
    assert report.findings == []
    assert report.primary_challenge is None


def test_findings_carry_verbatim_evidence_and_confidence() -> None:
    text = (
        "課長：先週の訪問、どうだった？\n"
        "新人：先方の課題は聞けたんですが、予算と決裁者は聞けていません。\n"
        "課長：そこは次回必ず確認しよう。決裁者がわからないと提案の出しどころも決まらないからね。\n"
        "新人：はい、すみません。聞きそびれてしまいました。\n"
    )
    report = classify(read_transcript(text))
    assert ("hearing", "challenge") in {(f.skill, f.polarity) for f in report.findings}
    assert report.primary_challenge == "hearing"
    assert all(f.evidence in text and 0 <= f.confidence <= 1 for f in report.findings)


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_classifier_finds_what_a_clear_statement_says(case: str, text: str, expected: tuple[str, str]) -> None:
    assert expected in {(f.skill, f.polarity) for f in classify(read_transcript(text)).findings}


@pytest.mark.parametrize(("case", "text", "absent"), NOT_LABELLED, ids=[c[0] for c in NOT_LABELLED])
def test_the_classifier_leaves_out_what_the_rules_exclude(case: str, text: str, absent: tuple[str, str]) -> None:
    assert absent not in {(f.skill, f.polarity) for f in classify(read_transcript(text)).findings}


def test_praise_of_one_skill_after_talk_of_another_is_not_evidence_for_both() -> None:
    text = (
        "課長：今日は青葉電機さんの件を聞かせて。\n"
        "新人：はい。予算の確認を忘れてしまいました。決裁者も分かっていません。\n"
        "課長：次の訪問では必ず予算と決裁者を聞こう。資料の準備はよくできていたよ。\n"
    )
    found = {(f.skill, f.polarity): f.evidence for f in classify(read_transcript(text)).findings}
    assert found.get(("preparation", "strength")) == "資料の準備はよくできていたよ。"
    assert ("hearing", "strength") not in found
    assert ("hearing", "challenge") in found


def test_evidence_scores_keep_each_clause_for_the_skills_it_is_mainly_about() -> None:
    scores = np.zeros((2, len(SKILL_IDS), 2))
    scores[0, 0, 0], scores[0, 1, 0] = 0.9, 0.85  # two skills about equally: both kept
    scores[1, 0, 1], scores[1, 1, 1] = 0.9, 0.5  # the second skill only leaks in: dropped
    kept = evidence_scores(scores)
    assert kept[0, 0, 0] == 0.9
    assert kept[0, 1, 0] == 0.85
    assert kept[1, 0, 1] == 0.9
    assert kept[1, 1, 1] == 0.0
