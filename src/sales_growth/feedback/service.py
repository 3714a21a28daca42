"""Ratings and corrections, and the two KPIs of the operations manual they feed. Every read and write goes
through the permission policy: an analysis or plan the caller may not see is 404. Services flush; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from sales_growth.accounts import policy
from sales_growth.accounts.models import User
from sales_growth.analysis.models import SKILL_IDS
from sales_growth.coaching import service as coaching
from sales_growth.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from sales_growth.feedback.models import CorrectionKind, FindingCorrection, Rating
from sales_growth.feedback.schemas import Accuracy, CorrectionIn, RatingIn, Satisfaction
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne

ANALYSIS_NOT_FOUND = "分析が見つかりません。"
SATISFACTION_DAYS = 30
ACCURACY_DAYS = 7


def visible_analysis(session: Session, actor: User, analysis_id: int) -> tuple[Analysis, OneOnOne]:
    """An analysis run and its record, if the actor may see the record (else 404, as for one that does not exist)."""
    row = session.execute(
        select(Analysis, OneOnOne)
        .join(OneOnOne, OneOnOne.id == Analysis.one_on_one_id)
        .where(Analysis.id == analysis_id, OneOnOne.member_id.in_(policy.visible_user_ids(actor)))
    ).first()
    if row is None:
        raise NotFoundError(ANALYSIS_NOT_FOUND)
    return row[0], row[1]


def _finished(analysis: Analysis) -> dict[str, Any]:
    if analysis.status != AnalysisStatus.SUCCEEDED or analysis.result is None:
        raise ConflictError("評価や修正は、分析が終わってからできます。")
    return analysis.result


# --- ratings ---------------------------------------------------------------------------------------------------


def rate_analysis(session: Session, actor: User, analysis_id: int, data: RatingIn, *, now: datetime) -> Rating:
    """The actor's rating of a finished analysis; rating again replaces it."""
    analysis, record = visible_analysis(session, actor, analysis_id)
    _finished(analysis)
    existing = session.scalar(select(Rating).where(Rating.analysis_id == analysis.id, Rating.author_id == actor.id))
    return _save_rating(
        session, existing, data, now=now, analysis_id=analysis.id, member_id=record.member_id, actor=actor
    )


def rate_plan(session: Session, actor: User, plan_id: int, data: RatingIn, *, now: datetime) -> Rating:
    """The actor's rating of an action plan they may see; rating again replaces it."""
    plan = coaching.get_plan(session, actor, plan_id)
    existing = session.scalar(select(Rating).where(Rating.plan_id == plan.id, Rating.author_id == actor.id))
    return _save_rating(session, existing, data, now=now, plan_id=plan.id, member_id=plan.member_id, actor=actor)


def _save_rating(
    session: Session,
    existing: Rating | None,
    data: RatingIn,
    *,
    now: datetime,
    member_id: int,
    actor: User,
    analysis_id: int | None = None,
    plan_id: int | None = None,
) -> Rating:
    rating = existing or Rating(
        analysis_id=analysis_id, plan_id=plan_id, member_id=member_id, author_id=actor.id, created_at=now
    )
    rating.score = data.score
    rating.comment = (data.comment or "").strip() or None
    rating.updated_at = now
    session.add(rating)
    session.flush()
    return rating


@dataclass(frozen=True)
class RatingSummary:
    mine: Rating | None
    average: float | None
    count: int


def analysis_rating(session: Session, actor: User, analysis_id: int) -> RatingSummary:
    """The actor's own rating and everyone's average for an analysis (the caller has checked visibility)."""
    return _summary(session, actor, "analysis_id", analysis_id)


def plan_rating(session: Session, actor: User, plan_id: int) -> RatingSummary:
    return _summary(session, actor, "plan_id", plan_id)


def _summary(session: Session, actor: User, of: str, rated_id: int) -> RatingSummary:
    ratings = list(session.scalars(_ratings_of(of), {"rated_id": rated_id}))
    mine = next((r for r in ratings if r.author_id == actor.id), None)
    average = sum(r.score for r in ratings) / len(ratings) if ratings else None
    return RatingSummary(mine=mine, average=average, count=len(ratings))


@cache
def _ratings_of(of: str) -> Select[Rating]:  # SQLAlchemy 2.1 spelling
    """The ratings whose column ``of`` (``analysis_id`` or ``plan_id``) is the bound ``rated_id``."""
    return select(Rating).where(getattr(Rating, of) == bindparam("rated_id"))


# --- corrections -----------------------------------------------------------------------------------------------


def correct(session: Session, actor: User, analysis_id: int, data: CorrectionIn, *, now: datetime) -> FindingCorrection:
    """Mark a finding wrong, or add a missed one. Only the member and their managers correct (403 for others who
    may see the analysis); marking the same finding twice keeps the first mark."""
    analysis, record = visible_analysis(session, actor, analysis_id)
    result = _finished(analysis)
    if not policy.can_correct_findings(session, actor, record.member_id):
        raise PermissionDeniedError("分析を修正できるのは、1on1の本人と上司です。")
    if data.kind == "wrong":
        correction = _wrong(session, actor, analysis, result, data)
    else:
        correction = _missed(actor, analysis, record, data)
    correction.member_id = record.member_id
    correction.created_at = now
    session.add(correction)
    session.flush()
    return correction


def _wrong(
    session: Session, actor: User, analysis: Analysis, result: dict[str, Any], data: CorrectionIn
) -> FindingCorrection:
    findings = result.get("findings", [])
    if data.finding_index is None or data.finding_index >= len(findings):
        raise InvalidInputError("違うと指摘する所見を選んでください。")
    existing = session.scalar(
        select(FindingCorrection).where(
            FindingCorrection.analysis_id == analysis.id,
            FindingCorrection.author_id == actor.id,
            FindingCorrection.kind == CorrectionKind.WRONG,
            FindingCorrection.finding_index == data.finding_index,
        )
    )
    if existing is not None:
        return existing
    finding = findings[data.finding_index]
    return FindingCorrection(
        analysis_id=analysis.id,
        author_id=actor.id,
        kind=CorrectionKind.WRONG,
        finding_index=data.finding_index,
        skill=finding["skill"],
        polarity=finding["polarity"],
        quote=finding.get("evidence"),
    )


def _missed(actor: User, analysis: Analysis, record: OneOnOne, data: CorrectionIn) -> FindingCorrection:
    if data.skill is None or data.polarity is None:
        raise InvalidInputError("見落としを追加するには、スキルと、強みか課題かを選んでください。")
    quote = (data.quote or "").strip() or None
    if quote is not None and quote not in record.content:
        raise InvalidInputError("引用は記録の本文から、そのまま写してください（本文に見つかりませんでした）。")
    return FindingCorrection(
        analysis_id=analysis.id,
        author_id=actor.id,
        kind=CorrectionKind.MISSED,
        skill=data.skill,
        polarity=data.polarity,
        quote=quote,
    )


def withdraw(session: Session, actor: User, correction_id: int) -> None:
    """Take back one's own correction (404 for anyone else's: they are not the actor's to see as theirs)."""
    correction = session.get(FindingCorrection, correction_id)
    if correction is None or correction.author_id != actor.id:
        raise NotFoundError("修正が見つかりません。")
    session.delete(correction)
    session.flush()


def corrections_of(session: Session, analysis_id: int) -> list[FindingCorrection]:
    """Every correction of an analysis, oldest first (the caller has checked visibility)."""
    return list(session.scalars(_corrections(), {"analysis_id": analysis_id}))


@cache
def _corrections() -> Select[FindingCorrection]:  # SQLAlchemy 2.1 spelling
    query = select(FindingCorrection).where(FindingCorrection.analysis_id == bindparam("analysis_id"))
    return query.order_by(FindingCorrection.id)


@dataclass
class AnalysisFeedback:
    """What the record page shows of an analysis's feedback, read in two queries."""

    rating: RatingSummary
    disputed: set[int] = field(default_factory=set)  # finding indices someone marked wrong
    my_marks: dict[int, int] = field(default_factory=dict)  # finding index → the actor's correction id
    missed: list[FindingCorrection] = field(default_factory=list)
    can_correct: bool = False


def analysis_feedback(session: Session, actor: User, analysis: Analysis, record: OneOnOne) -> AnalysisFeedback:
    feedback = AnalysisFeedback(rating=analysis_rating(session, actor, analysis.id))
    for correction in corrections_of(session, analysis.id):
        if correction.kind == CorrectionKind.WRONG and correction.finding_index is not None:
            feedback.disputed.add(correction.finding_index)
            if correction.author_id == actor.id:
                feedback.my_marks[correction.finding_index] = correction.id
        elif correction.kind == CorrectionKind.MISSED:
            feedback.missed.append(correction)
    feedback.can_correct = policy.can_correct_findings(session, actor, record.member_id)
    return feedback


# --- KPIs ------------------------------------------------------------------------------------------------------


def satisfaction(session: Session, *, now: datetime, days: int = SATISFACTION_DAYS) -> Satisfaction:
    """User satisfaction: the mean of every rating (analyses and plans, 1–5) given or changed in the last ``days``."""
    since = now - timedelta(days=days)
    average, count = session.execute(
        select(func.avg(Rating.score), func.count(Rating.id)).where(Rating.updated_at >= since)
    ).one()
    return Satisfaction(average=round(float(average), 2) if average is not None else None, count=count, days=days)


def ai_accuracy(session: Session, *, now: datetime, days: int = ACCURACY_DAYS) -> Accuracy:
    """AI accuracy: how far the analyses agree with the people who reviewed them in the last ``days`` days.

    An analysis counts as *reviewed* when, in the window, someone rated it or corrected its findings. For each
    reviewed analysis *a* with ``F_a`` findings, ``W_a`` distinct findings marked wrong and ``M_a`` distinct missed
    findings added (by skill and polarity), pooled over all reviewed analyses::

        accuracy = Σ (F_a − W_a) / Σ (F_a + M_a)

    This is the Jaccard agreement between the analysis's findings and the corrected set (the findings minus the
    wrong ones plus the missed ones): 1.0 when the reviewers changed nothing, lower with every finding they
    disputed or added. A reviewer who rated an analysis and corrected nothing agreed with all its findings.
    """
    since = now - timedelta(days=days)
    rated = select(Rating.analysis_id).where(Rating.analysis_id.is_not(None), Rating.updated_at >= since)
    corrected = select(FindingCorrection.analysis_id).where(FindingCorrection.created_at >= since)
    reviewed = session.execute(
        select(Analysis.id, Analysis.result).where(
            or_(Analysis.id.in_(rated), Analysis.id.in_(corrected)), Analysis.status == AnalysisStatus.SUCCEEDED
        )
    ).all()
    results = {row.id: row.result or {} for row in reviewed}
    wrong: dict[int, set[int]] = defaultdict(set)
    missed: dict[int, set[tuple[str, str]]] = defaultdict(set)
    if results:
        for c in session.scalars(select(FindingCorrection).where(FindingCorrection.analysis_id.in_(list(results)))):
            if c.kind == CorrectionKind.WRONG and c.finding_index is not None:
                wrong[c.analysis_id].add(c.finding_index)
            elif c.kind == CorrectionKind.MISSED and c.skill in SKILL_IDS:
                missed[c.analysis_id].add((c.skill, c.polarity))
    findings = sum(len(result.get("findings", [])) for result in results.values())
    wrong_count = sum(len(marks) for marks in wrong.values())
    missed_count = sum(len(added) for added in missed.values())
    denominator = findings + missed_count
    value = round((findings - wrong_count) / denominator, 3) if denominator else None
    return Accuracy(
        value=value, analyses=len(results), findings=findings, wrong=wrong_count, missed=missed_count, days=days
    )
