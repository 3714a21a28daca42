"""JSON routes of feedback: ratings of analyses and plans, corrections of findings, and the KPIs (``/api/v1``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sales_growth.accounts.deps import AdminUser, CurrentUser, NowDep
from sales_growth.feedback import service
from sales_growth.feedback.schemas import (
    CorrectionIn,
    CorrectionOut,
    FeedbackOut,
    KpisOut,
    RatingIn,
    RatingOut,
)
from sales_growth.web.deps import SessionDep, SessionRoute

router = APIRouter(prefix="/api/v1", tags=["feedback"], route_class=SessionRoute)


@router.put("/analyses/{analysis_id}/rating")
def rate_analysis(analysis_id: int, body: RatingIn, session: SessionDep, user: CurrentUser, now: NowDep) -> RatingOut:
    """分析への評価（1〜5と任意のコメント）。もう一度送ると前の評価を置き換えます。"""
    return RatingOut.model_validate(service.rate_analysis(session, user, analysis_id, body, now=now))


@router.put("/action-plans/{plan_id}/rating")
def rate_plan(plan_id: int, body: RatingIn, session: SessionDep, user: CurrentUser, now: NowDep) -> RatingOut:
    """行動計画への評価（1〜5と任意のコメント）。"""
    return RatingOut.model_validate(service.rate_plan(session, user, plan_id, body, now=now))


@router.get("/analyses/{analysis_id}/feedback")
def analysis_feedback(analysis_id: int, session: SessionDep, user: CurrentUser) -> FeedbackOut:
    """分析への自分の評価、全員の平均、所見の修正の一覧。"""
    analysis, _record = service.visible_analysis(session, user, analysis_id)
    summary = service.analysis_rating(session, user, analysis.id)
    return FeedbackOut(
        my_rating=RatingOut.model_validate(summary.mine) if summary.mine else None,
        average=round(summary.average, 2) if summary.average is not None else None,
        count=summary.count,
        corrections=[CorrectionOut.model_validate(c) for c in service.corrections_of(session, analysis.id)],
    )


@router.post("/analyses/{analysis_id}/corrections", status_code=201)
def correct(analysis_id: int, body: CorrectionIn, session: SessionDep, user: CurrentUser, now: NowDep) -> CorrectionOut:
    """所見の修正: ``wrong``（この所見は違う）か ``missed``（見落とされた所見の追加）。本人と上司だけです。"""
    return CorrectionOut.model_validate(service.correct(session, user, analysis_id, body, now=now))


@router.delete("/corrections/{correction_id}", status_code=204)
def withdraw(correction_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """自分の修正を取り消します。"""
    service.withdraw(session, user, correction_id)
    return Response(status_code=204)


@router.get("/feedback/kpis")
def kpis(session: SessionDep, _admin: AdminUser, now: NowDep) -> KpisOut:
    """利用者の満足度（直近30日の評価の平均）と AI の精度（直近7日の人による修正との一致率）。管理者のみ。"""
    return KpisOut(
        satisfaction=service.satisfaction(session, now=now), ai_accuracy=service.ai_accuracy(session, now=now)
    )
