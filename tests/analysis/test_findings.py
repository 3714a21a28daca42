"""The skill classifier on short records written for these tests (not from the evaluation sets)."""

from __future__ import annotations

import pytest

from sales_growth.analysis.findings import find_skills
from sales_growth.analysis.reading import read_transcript


def _findings(text: str) -> set[tuple[str, str]]:
    report = find_skills(read_transcript(text))
    return {(f.skill, f.polarity) for f in report.findings}


def _dialogue(*lines: str) -> str:
    return "\n".join(lines) + "\n"


CASES = [
    (
        "hearing challenge from the junior's answer to a question",
        _dialogue("課長：先方の予算はどのくらいか聞いた？", "新人：いえ、予算は聞けていないです。"),
        ("hearing", "challenge"),
    ),
    (
        "hearing strength from the manager's praise",
        _dialogue("課長：商談どうだった？", "新人：物流の課題を伺いました。", "課長：課題の深掘りが上手くなったね。"),
        ("hearing", "strength"),
    ),
    (
        "preparation challenge from a manager's criticism",
        _dialogue(
            "課長：昨日の訪問は？",
            "新人：すみません、資料を持っていくのを忘れてしまいました。",
            "課長：事前準備が足りないね。",
        ),
        ("preparation", "challenge"),
    ),
    (
        "closing challenge when no next appointment was set",
        _dialogue("課長：次回のアポは取れた？", "新人：いえ、次回の日程を決められなかったです。"),
        ("closing", "challenge"),
    ),
    (
        "objection handling challenge after discounting at once",
        _dialogue("課長：価格のことは？", "新人：高いと言われて、すぐ値引きの話をしてしまいました。"),
        ("objection_handling", "challenge"),
    ),
    (
        "product knowledge challenge when a question could not be answered",
        _dialogue(
            "課長：技術的な質問はあった？",
            "新人：仕様のことを聞かれて、答えられなかったです。商品知識が足りないと感じました。",
        ),
        ("product_knowledge", "challenge"),
    ),
    (
        "communication challenge when a report came late",
        _dialogue("課長：トラブルの件、報告が遅かったね。", "新人：はい、一人で抱え込んでしまいました。"),
        ("communication", "challenge"),
    ),
    (
        "activity management challenge from a missed target",
        _dialogue("課長：今月の訪問件数は？", "新人：12件で、目標の20件に足りていません。"),
        ("activity_management", "challenge"),
    ),
    (
        "mindset challenge from the junior's own worry",
        _dialogue("課長：最近どう？", "新人：断られ続けて、正直落ち込んでいます。自信がなくなってきました。"),
        ("mindset", "challenge"),
    ),
    (
        "relationship strength from the customer's trust",
        _dialogue(
            "課長：先方の部長から、君のフォローが丁寧で信頼していると言われたよ。", "新人：ありがとうございます。"
        ),
        ("relationship", "strength"),
    ),
    (
        "proposal strength from praise of the proposal document",
        _dialogue("課長：提案書、お客様の課題から入る構成で説得力があったよ。", "新人：ありがとうございます。"),
        ("proposal", "strength"),
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_clear_statement_gives_its_finding(case: str, text: str, expected: tuple[str, str]) -> None:
    assert expected in _findings(text)


NOT_LABELLED = [
    (
        "a negated shortfall",
        _dialogue("課長：ヒアリングはどうだった？", "新人：ヒアリングは問題なかったです。"),
        ("hearing", "challenge"),
    ),
    (
        "a denied lack of preparation",
        _dialogue("課長：準備不足ではなかったね。", "新人：はい。"),
        ("preparation", "challenge"),
    ),
    ("a bare plan", _dialogue("課長：次は？", "新人：明日、提案書を出します。"), ("proposal", "challenge")),
    (
        "the manager's own mistake",
        _dialogue("課長：見積が遅れたのは私の段取りの問題です。", "新人：いえ、大丈夫です。"),
        ("preparation", "challenge"),
    ),
    (
        "permission, not praise",
        _dialogue("課長：その場で予算を聞いてもいいんだよ。", "新人：はい。"),
        ("hearing", "strength"),
    ),
]


@pytest.mark.parametrize(("case", "text", "absent"), NOT_LABELLED, ids=[c[0] for c in NOT_LABELLED])
def test_what_the_rules_exclude_is_not_labelled(case: str, text: str, absent: tuple[str, str]) -> None:
    assert absent not in _findings(text)


def test_one_skill_can_be_both_a_strength_and_a_challenge() -> None:
    text = _dialogue(
        "課長：課題の聞き出し方はすごく良かった。",
        "課長：ただ、決裁者を聞けていないのは問題だね。",
        "新人：はい、決裁者は聞き忘れました。",
    )
    assert {("hearing", "strength"), ("hearing", "challenge")} <= _findings(text)


def test_the_primary_challenge_is_the_one_discussed_most() -> None:
    text = _dialogue(
        "課長：今日は報告の件を話したい。トラブルの報告がなかったね。",
        "新人：すみません、報告が遅れました。",
        "課長：報告が遅いと手が打てない。早めに相談してほしい。",
        "新人：はい、相談しづらくて抱え込んでしまいました。",
        "課長：あと、次回のアポも取れていないね。",
    )
    report = find_skills(read_transcript(text))
    assert report.primary_challenge == "communication"


def test_a_counselling_chat_gets_no_findings() -> None:
    text = _dialogue(
        "counselor：今日はどうされましたか？",
        "client：職場の人間関係で悩んでいて、自信がなくなってしまいました。",
        "counselor：それはつらいですね。",
    )
    assert find_skills(read_transcript(text)).findings == []


def test_every_evidence_is_a_slice_of_the_input() -> None:
    text = _dialogue(
        "課長：「高い」と言われたあと、どう返したの？",
        "新人：値引きの話をしてしまいました……。答えに詰まって。",
        "課長：そこは粘ってほしかったけど、ヒアリングは丁寧で良かったよ。",
    )
    report = find_skills(read_transcript(text))
    assert report.findings
    assert all(f.evidence in text for f in report.findings)


def test_memo_headings_colour_the_lines_under_them() -> None:
    memo = (
        "# 1on1メモ（山口さん）\n"
        "## 良かった点\n"
        "- 訪問後のお礼メールを毎回その日のうちに送っている\n"
        "## 気になった点\n"
        "- 見積の提出後、次回の日程を決めずに終わっている\n"
    )
    found = _findings(memo)
    assert ("relationship", "strength") in found
    assert ("closing", "challenge") in found
    assert ("relationship", "challenge") not in found


def test_refusing_to_discount_at_once_is_a_strength_not_a_challenge() -> None:
    text = _dialogue(
        "課長：価格交渉はどうだった？",
        "新人：はい。",
        "課長：すぐに値引きに応じずに、費用対効果で切り返したのは良かった。",
    )
    found = _findings(text)
    assert ("objection_handling", "strength") in found
    assert ("objection_handling", "challenge") not in found


def test_being_asked_is_not_the_junior_asking() -> None:
    text = _dialogue("課長：商談はどうだった？", "新人：お客様から仕様のことを聞かれて、答えられませんでした。")
    found = _findings(text)
    assert ("hearing", "challenge") not in found
    assert ("product_knowledge", "challenge") in found


def test_a_regret_is_a_shortfall() -> None:
    text = _dialogue("課長：決裁者は確認した？", "新人：いえ……あの場で決裁者を聞けばよかったです。")
    assert ("hearing", "challenge") in _findings(text)


def test_a_reminder_of_a_good_deed_is_praise() -> None:
    text = _dialogue(
        "課長：先週、現場の担当者にまで話を聞きに行ってくれたでしょ。",
        "新人：はい。",
        "課長：あれで本音が聞けたじゃない。",
    )
    found = _findings(text)
    assert ("hearing", "strength") in found
    assert ("hearing", "challenge") not in found
