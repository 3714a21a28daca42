"""A hand-made analysis for coach tests: independent of the findings engine, which may change."""

from __future__ import annotations

from datetime import date

from sales_growth.analysis.coach.models import CoachContext, Turn
from sales_growth.analysis.models import ActionItem, AnalysisResult, Finding

FRIDAY = date(2026, 11, 27)
CHALLENGE_EVIDENCE = "予算の確認を忘れてしまいました。"
STRENGTH_EVIDENCE = "資料の準備はよくできていたよ。"


def analysis(**changes: object) -> AnalysisResult:
    base = AnalysisResult(
        engine="local",
        summary="青葉電機さんへの提案の振り返り。",
        keywords=["青葉電機さん", "決裁者", "予算"],
        findings=[
            Finding(skill="hearing", polarity="challenge", evidence=CHALLENGE_EVIDENCE, confidence=0.8),
            Finding(skill="proposal", polarity="challenge", evidence="提案が機能の説明ばかりだった。", confidence=0.6),
            Finding(skill="preparation", polarity="strength", evidence=STRENGTH_EVIDENCE, confidence=0.7),
        ],
        primary_challenge="hearing",
        action_plan=[
            ActionItem(
                title="青葉電機様で予算・決裁者・導入時期を確認する",
                skill="hearing",
                due_date=date(2026, 12, 4),
                success_metric="次回の商談で4項目をすべて聞き、記録に残す",
                steps=["質問リストを作る", "商談で聞く"],
            ),
            ActionItem(
                title="青葉電機様向けの提案を顧客の課題から組み立て直す",
                skill="proposal",
                due_date=date(2026, 12, 9),
                success_metric="提案書の冒頭に顧客の課題と効果を載せ、上司のレビューで合格をもらう",
                steps=["課題を整理する", "効果を数字で示す"],
            ),
        ],
    )
    return base.model_copy(update=changes)


def context(**changes: object) -> CoachContext:
    base = CoachContext(analysis=analysis(), dialogue_date=FRIDAY, member_name="山本", customer="青葉電機様")
    return base.model_copy(update=changes)


def member(*messages: str) -> list[Turn]:
    return [Turn(role="member", content=m) for m in messages]
