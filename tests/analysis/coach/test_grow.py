"""The built-in GROW coach: grounded in the record, one question at a time, reflecting the junior's words, offering
the skill's templates when the junior is stuck, reading commitments and confirming before it closes."""

from __future__ import annotations

from datetime import date

from sales_growth.analysis.coach.grow import BuiltinCoach
from sales_growth.analysis.coach.models import CoachReply, Turn
from sales_growth.analysis.models import AnalysisResult, Finding
from sales_growth.analysis.planner import load_templates
from tests.analysis.coach.helpers import CHALLENGE_EVIDENCE, STRENGTH_EVIDENCE, analysis, context, member

COACH = BuiltinCoach()
FLOW = [
    "次の商談で予算と決裁者をきちんと聞けるようになりたいです",
    "質問を用意していなくて、提案の説明に夢中になって聞きそびれました",
    "わかりません",
    "1番",
    "明日までに青葉電機の田中部長に電話して確認します",
    "予算額と決裁者の名前をメモして課長に報告できたら",
    "三日以内に質問リストを５つ作ります",
    "わからない",
    "以上です",
    "はい、お願いします",
]


def _run(messages: list[str], **changes: object) -> list[CoachReply]:
    ctx = context(**changes)
    history: list[Turn] = []
    replies = []
    for message in messages:
        history.append(Turn(role="member", content=message))
        reply = COACH.reply(ctx, history)
        history.append(Turn(role="coach", content=reply.content))
        replies.append(reply)
    return replies


def test_the_opening_quotes_the_primary_challenge_and_a_strength_and_names_the_customer() -> None:
    opening = COACH.opening(context()).content
    assert CHALLENGE_EVIDENCE.rstrip("。") in opening
    assert STRENGTH_EVIDENCE.rstrip("。") in opening
    assert "ヒアリング・質問力" in opening
    assert "事前準備" in opening
    assert "青葉電機様" in opening
    assert "山本さん" in opening
    assert opening.count("？") == 1


def test_the_dialogue_walks_through_grow_and_confirms_before_closing() -> None:
    replies = _run(FLOW)
    assert [r.stage for r in replies] == [
        "reality", "options", "options", "will", "will", "will", "will", "will", "confirm", "closed",
    ]  # fmt: skip
    assert not replies[-2].outcome.confirmed
    assert replies[-1].outcome.confirmed


def test_every_coach_message_asks_at_most_one_question() -> None:
    for reply in _run(FLOW):
        assert reply.content.count("？") <= 1, reply.content


def test_the_coach_reflects_the_juniors_words_back() -> None:
    replies = _run(FLOW[:2])
    assert "次の商談で予算と決裁者をきちんと聞けるようになりたい" in replies[0].content
    assert "提案の説明に夢中になって聞きそびれました" in replies[1].content


def test_the_reality_question_is_grounded_in_the_records_evidence() -> None:
    assert CHALLENGE_EVIDENCE.rstrip("。") in _run(FLOW[:1])[0].content


def test_a_stuck_junior_gets_options_from_the_skills_templates() -> None:
    offered = _run(FLOW[:3])[-1].content
    hearing = load_templates()["hearing"]
    assert hearing[0].title.format(customer="青葉電機様") in offered
    assert hearing[1].title in offered
    assert "1. " in offered


def test_picking_an_option_by_number_makes_it_the_action() -> None:
    picked = _run([*FLOW[:3], "2番"])[-1]
    assert load_templates()["hearing"][1].title in picked.content
    assert picked.outcome.options == [load_templates()["hearing"][1].title]


def test_commitments_carry_whom_how_many_when_and_the_juniors_criterion() -> None:
    outcome = _run(FLOW)[-1].outcome
    first, second = outcome.commitments
    assert first.what == "青葉電機の田中部長に電話して確認します"
    assert first.who == ["青葉電機", "田中部長"]
    assert first.due_date == date(2026, 11, 30)  # 「明日」 on a Friday
    assert first.success_metric == "予算額と決裁者の名前をメモして課長に報告できたら"
    assert second.how_many == "５つ"
    assert second.due_date == date(2026, 12, 2)
    assert second.success_metric == load_templates()["hearing"][0].metric  # stuck: the template's criterion


def test_the_confirmation_lists_the_commitments_and_the_uncovered_challenges() -> None:
    summary = _run(FLOW[:9])[-1].content
    assert "1. 青葉電機の田中部長に電話して確認します（期限 11月30日（月）、相手 青葉電機・田中部長）" in summary
    assert "2. 質問リストを５つ作ります（期限 12月2日（水）、数 ５つ）" in summary
    assert "「提案・プレゼン」の課題" in summary


def test_a_date_alone_at_the_confirmation_moves_the_last_due_date() -> None:
    replies = _run([*FLOW[:9], "いいえ、質問リストは来週中にします"])
    assert replies[-1].stage == "confirm"
    assert replies[-1].outcome.commitments[-1].due_date == date(2026, 12, 4)


def test_a_commitment_without_a_date_is_asked_for_one_and_defaults_to_the_next_1on1() -> None:
    replies = _run([*FLOW[:4], "田中部長に電話して確認します", "うーん"])
    assert "いつまでにやりますか" in replies[-2].content
    assert replies[-1].outcome.commitments[0].due_date == date(2026, 12, 11)  # 14 days on


def test_the_same_dialogue_always_gets_the_same_answers() -> None:
    assert [r.content for r in _run(FLOW)] == [r.content for r in _run(FLOW)]


def test_near_the_turn_limit_the_coach_sums_up() -> None:
    replies = _run(["うーん", "うーん", "うーん"], max_turns=4)
    assert replies[-1].stage == "confirm"
    assert "ここまでをまとめます" in replies[-1].content


def test_without_a_challenge_the_coach_builds_on_the_strength() -> None:
    strength = Finding(skill="closing", polarity="strength", evidence="次回アポをその場で取れた。", confidence=0.8)
    only_strength = analysis(findings=[strength], primary_challenge=None, action_plan=[])
    opening = COACH.opening(context(analysis=only_strength)).content
    assert "クロージング" in opening
    assert "はっきりした課題は見つかりませんでした" in opening


def test_without_findings_the_coach_speaks_of_the_records_topics() -> None:
    empty = AnalysisResult(
        engine="local", summary="", keywords=["展示会"], findings=[], primary_challenge=None, action_plan=[]
    )
    opening = COACH.opening(context(analysis=empty, customer=None)).content
    assert "「展示会」" in opening
    assert opening.count("？") == 1


def test_the_outcome_is_the_replay_of_the_dialogue() -> None:
    history = member(*FLOW)
    assert COACH.outcome(context(), history) == COACH.reply(context(), history).outcome
