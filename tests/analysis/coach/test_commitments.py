"""Commitments read out of the junior's words: what, for whom, how many, by when, and the skill."""

from __future__ import annotations

from datetime import date

import pytest

from sales_growth.analysis.coach.commitments import extract_commitments, without_fillers
from tests.analysis.coach.helpers import FRIDAY


def test_a_commitment_has_what_whom_and_when_in_the_juniors_words() -> None:
    (found,) = extract_commitments("はい、明日までに青葉電機の田中部長に電話して、予算を確認します。", FRIDAY)
    assert found.what == "青葉電機の田中部長に電話して、予算を確認します"
    assert found.quote == "はい、明日までに青葉電機の田中部長に電話して、予算を確認します。"
    assert found.who == ["青葉電機", "田中部長"]
    assert found.due_date == date(2026, 11, 30)
    assert found.due_expression == "明日"
    assert found.skill == "hearing"


def test_counts_in_kanji_and_full_width_are_read_as_written() -> None:
    found = extract_commitments("三日以内に質問を５つ用意します。来週中に三社へ提案書を出します。", FRIDAY)
    assert [(c.how_many, c.due_date) for c in found] == [("５つ", date(2026, 12, 2)), ("三社", date(2026, 12, 4))]
    assert [c.skill for c in found] == ["hearing", "proposal"]


def test_two_actions_in_one_sentence_are_two_commitments() -> None:
    found = extract_commitments("明日電話して予算を聞きます、それと、来週中に提案書を出します。", FRIDAY)
    assert [c.what for c in found] == ["電話して予算を聞きます", "提案書を出します"]


@pytest.mark.parametrize(
    "text",
    [
        "予算を聞くのを忘れてしまいました。",
        "課題があります。",
        "えっと、わかりません",
        "どうすればいいですか？",
        "難しいと思います。",
        "先週は三社に電話しました。",
    ],
)
def test_what_happened_or_what_is_is_not_a_commitment(text: str) -> None:
    assert extract_commitments(text, FRIDAY) == []


@pytest.mark.parametrize(
    "text",
    [
        "ミドリ商事さんに見積もりを送ろうと思います",
        "訪問件数を週10件にしたいです",
        "上司に毎週金曜に報告するようにします",
        "ロープレを3回やってみます",
    ],
)
def test_intentions_are_commitments(text: str) -> None:
    assert len(extract_commitments(text, FRIDAY)) == 1


def test_a_recurring_weekday_is_not_a_due_date() -> None:
    (found,) = extract_commitments("上司に毎週金曜に報告するようにします", FRIDAY)
    assert found.due_date is None
    assert found.skill == "communication"


def test_a_bare_action_with_a_date_counts_only_when_the_coach_asked_for_one() -> None:
    assert extract_commitments("明日、青葉電機に電話", FRIDAY) == []
    (found,) = extract_commitments("明日、青葉電機に電話", FRIDAY, lenient=True)
    assert found.what == "青葉電機に電話"


def test_a_known_name_is_recognised_and_the_focus_breaks_ties() -> None:
    (found,) = extract_commitments(
        "来週の金曜までにあおば病院へ伺います", FRIDAY, known_names=["あおば病院様"], focus="closing"
    )
    assert found.who == ["あおば病院"]
    assert found.skill == "closing"  # no skill words: the dialogue's focus


def test_common_nouns_are_not_taken_for_names() -> None:
    (found,) = extract_commitments("明日お客様と担当者様にお礼のメールを送ります", FRIDAY)
    assert found.who == []
    assert found.skill == "relationship"


def test_fillers_are_left_out_of_reflections() -> None:
    assert without_fillers("はい、えっと、予算を聞きます。") == "予算を聞きます"
