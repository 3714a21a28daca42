"""The feedback forms of the record page and the plan page; each sends the browser back where it came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from sales_growth.accounts.deps import NowDep
from sales_growth.errors import InvalidInputError
from sales_growth.feedback import service
from sales_growth.feedback.models import FindingCorrection
from sales_growth.feedback.schemas import CorrectionIn, RatingIn
from sales_growth.web.deps import SessionDep, SessionRoute
from sales_growth.web.pages import PageUser, see_other

router = APIRouter(tags=["feedback-pages"], include_in_schema=False, route_class=SessionRoute)


def _rating(score: str, comment: str) -> RatingIn:
    try:
        return RatingIn(score=int(score) if score.isdigit() else 0, comment=comment or None)
    except ValidationError as exc:
        raise InvalidInputError("評価は1〜5から選んでください（コメントは1000文字まで）。") from exc


@router.post("/analyses/{analysis_id:int}/rating")
def rate_analysis(
    analysis_id: int,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> RedirectResponse:
    service.rate_analysis(session, user, analysis_id, _rating(score, comment), now=now)
    _analysis, record = service.visible_analysis(session, user, analysis_id)
    return see_other(f"/one-on-ones/{record.id}?notice=rated")


@router.post("/action-plans/{plan_id:int}/rating")
def rate_plan(
    plan_id: int,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> RedirectResponse:
    service.rate_plan(session, user, plan_id, _rating(score, comment), now=now)
    return see_other(f"/action-plans/{plan_id}?notice=rated")


@router.post("/analyses/{analysis_id:int}/corrections")
def correct(
    analysis_id: int,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    kind: Annotated[str, Form()] = "",
    finding_index: Annotated[str, Form()] = "",
    skill: Annotated[str, Form()] = "",
    polarity: Annotated[str, Form()] = "",
    quote: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """「この所見は違う」 or 「見落とされた所見を追加」."""
    try:
        data = CorrectionIn.model_validate(
            {
                "kind": kind,
                "finding_index": int(finding_index) if finding_index.isdigit() else None,
                "skill": skill or None,
                "polarity": polarity or None,
                "quote": quote or None,
            }
        )
    except ValidationError as exc:
        raise InvalidInputError("修正の内容を確認してください（スキルと、強みか課題かを選びます）。") from exc
    correction = service.correct(session, user, analysis_id, data, now=now)
    _analysis, record = service.visible_analysis(session, user, analysis_id)
    anchor = f"#finding-{correction.finding_index}" if correction.finding_index is not None else "#analysis"
    return see_other(f"/one-on-ones/{record.id}?notice=corrected{anchor}")


@router.post("/corrections/{correction_id:int}/delete")
def withdraw(correction_id: int, session: SessionDep, user: PageUser) -> RedirectResponse:
    correction = session.get(FindingCorrection, correction_id)
    analysis_id = correction.analysis_id if correction is not None else None
    service.withdraw(session, user, correction_id)
    assert analysis_id is not None  # withdraw raised 404 otherwise
    _analysis, record = service.visible_analysis(session, user, analysis_id)
    return see_other(f"/one-on-ones/{record.id}?notice=saved#analysis")
