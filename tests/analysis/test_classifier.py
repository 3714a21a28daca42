"""The learned skill classifier: the shipped model, its arithmetic, and what it makes of short records."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sales_growth.analysis import features
from sales_growth.analysis.classifier import (
    ClauseModel,
    Linear,
    RuleTotals,
    SkillModel,
    classify,
    clause_scores,
    evidence_scores,
    load_model,
    primary_features,
    record_features,
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


def test_clause_features_carry_the_verdict_at_the_end_and_the_other_half_of_a_contrast() -> None:
    text = "課長：どうだった？\n新人：課題は聞けたけど、予算は聞けませんでした。\n"
    transcript = read_transcript(text)
    views = features.views(transcript)
    first, second = features.clause_features(transcript, views)[1:3]
    assert [v.clause.evidence for v in views[1:3]] == ["課題は聞けたけど", "予算は聞けませんでした。"]
    assert first["concessive"] == 1.0
    assert "concessive" not in second
    # The last words apart, by themselves and by who said them.
    assert first["t0:けれど"] == 1.0
    assert first["junior:t0:けれど"] == 1.0
    assert second["pred:聞く"] == 1.0
    assert second["t0:た"] == 1.0
    # Each half sees how the other half judges: the shortfall after 「けど」, the success before it.
    assert first["after:neg"] > 0
    assert first["after:pos"] == 0
    assert second["before:pos"] > 0


def test_words_of_one_meaning_share_their_synonym_group_feature() -> None:
    """準備 and 用意, 不安 and 心配: a word the corpus never used meets the one it did through Sudachi's groups."""

    def groups(text: str) -> set[str]:
        transcript = read_transcript(f"課長：どうだった？\n新人：{text}\n")
        row = features.clause_features(transcript, features.views(transcript))[-1]
        return {name for name in row if name.startswith("g:")}

    assert groups("資料の準備が足りませんでした。") & groups("資料の用意が足りませんでした。")
    assert groups("正直、不安です。") & groups("正直、心配です。")
    assert not groups("正直、不安です。") & groups("資料の準備が足りませんでした。")


def test_a_finding_sees_the_same_skill_judged_the_other_way() -> None:
    scores = np.zeros((2, len(SKILL_IDS), 2))
    scores[0, 0, 1], scores[1, 0, 0] = 0.9, 0.3  # a strong challenge and its faint echo as a strength
    views = features.views(read_transcript("課長：どう？\n新人：はい。\n"))
    rules = RuleTotals(scores={}, found=frozenset(), mentions={})
    table = record_features(views * 2, scores, rules)
    strength = table[(SKILL_IDS[0], "strength")]
    assert strength["m1:strength"] == pytest.approx(0.3)
    assert strength["o_m1:strength"] == pytest.approx(0.9)
    assert strength["dom:strength"] == pytest.approx(0.25, abs=1e-3)


def test_primary_features_share_talk_time_among_the_skills() -> None:
    text = (
        "課長：先週の商談は？\n新人：予算を聞けませんでした。決裁者もわかりません。\n"
        "課長：次は必ず予算を聞こう。あと提案書の誤字が多かったね。\n"
    )
    transcript = read_transcript(text)
    views = features.views(transcript)
    model = load_model()
    scores = clause_scores(model, features.clause_features(transcript, views))
    rules = RuleTotals(scores={}, found=frozenset(), mentions={})
    table = primary_features(views, scores, {}, rules)
    for name in ("len_share", "topic_len_share", "turn_share"):
        assert sum(row[name] for row in table.values()) == pytest.approx(1.0)
    assert max(table, key=lambda s: table[s]["len_share"]) == "hearing"
