"""A member's growth per skill over time, and a manager's team picture. Each answer takes a fixed number of
queries, whatever the number of records or members (batched with ``IN``, never one query per row)."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from datetime import date, datetime
from functools import cache
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Select, bindparam, case, event, func, select
from sqlalchemy.orm import Session

from sales_growth.accounts import policy
from sales_growth.accounts.models import Role, User
from sales_growth.analysis.models import SKILL_IDS, SKILL_LABELS_JA
from sales_growth.coaching.models import ActionPlan, ActionPlanItem, ItemStatus
from sales_growth.coaching.schemas import Completion, GrowthOut, GrowthPoint, SkillCount, TeamMemberOut, TeamOut
from sales_growth.errors import NotFoundError, PermissionDeniedError
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne
from sales_growth.ops.cache import TEAM_VERSION, cache_of, invalidate_after_commit

SMOOTHING = 0.5  # weight of the newest 1on1 in the exponential smoothing
DONE_ACTION_WEIGHT = 0.5  # what one completed action of a skill adds to that 1on1's observation
TOP_CHALLENGES = 3


def member_growth(session: Session, actor: User, member_id: int, *, today: date) -> GrowthOut:
    """Per skill, a score from 0 to 100 over the member's 1on1s in date order, and the action completion rate.

    The score of a skill at one 1on1 comes from that 1on1's observation of the skill:

        x = Σ confidence of its strengths − Σ confidence of its challenges + 0.5 × actions of the skill
            completed from that 1on1's plan,   clipped to [−1, 1]

    smoothed over the 1on1s that observed the skill (s₁ = x₁, sₙ = 0.5·xₙ + 0.5·sₙ₋₁), so one good or bad day
    moves the line halfway, and drawn as ``50 + 50·s``: 50 is neutral, above it a strength, below a challenge.
    A 1on1 that says nothing of a skill adds no point to its line. Each 1on1 counts with its latest successful
    analysis. The completion rate is done items over all items of the member's plans.
    """
    if not policy.can_see_user(session, actor, member_id):
        raise NotFoundError("メンバーが見つかりません。")
    records = session.execute(_records_of(), {"member_id": member_id}).all()
    findings = _latest_findings(session, [r.id for r in records])
    items = _items_of(session, [member_id])
    done_by_record: dict[int, Counter[str]] = defaultdict(Counter)
    for item in items:
        if item.status == ItemStatus.DONE:
            done_by_record[item.one_on_one_id][item.skill] += 1
    lines = _smoothed_lines([(r.held_on, findings.get(r.id), done_by_record[r.id]) for r in records])
    return GrowthOut(
        member_id=member_id,
        skills=lines,
        labels={skill: SKILL_LABELS_JA[skill] for skill in lines},  # type: ignore[index]
        action_completion=_completion(items, today),
        one_on_ones=len(records),
    )


@cache
def _records_of() -> Select[int, date]:
    return (
        select(OneOnOne.id, OneOnOne.held_on)
        .where(OneOnOne.member_id == bindparam("member_id"))
        .order_by(OneOnOne.held_on, OneOnOne.id)
    )


def _observation(findings: tuple[Finding, ...] | None, done: Counter[str]) -> dict[str, float]:
    raw: dict[str, float] = defaultdict(float)
    for skill, polarity, confidence in findings or ():
        raw[skill] += (1.0 if polarity == "strength" else -1.0) * confidence
    for skill, count in done.items():
        raw[skill] += DONE_ACTION_WEIGHT * count
    return {skill: max(-1.0, min(1.0, value)) for skill, value in raw.items() if skill in SKILL_IDS}


def _smoothed_lines(
    episodes: list[tuple[date, tuple[Finding, ...] | None, Counter[str]]],
) -> dict[str, list[GrowthPoint]]:
    smoothed: dict[str, float] = {}
    lines: dict[str, list[GrowthPoint]] = {}
    for held_on, findings, done in episodes:
        for skill, x in _observation(findings, done).items():
            previous = smoothed.get(skill)
            smoothed[skill] = x if previous is None else SMOOTHING * x + (1 - SMOOTHING) * previous
            lines.setdefault(skill, []).append(GrowthPoint(date=held_on, score=round(50 + 50 * smoothed[skill], 1)))
    return {skill: lines[skill] for skill in SKILL_IDS if skill in lines}


# What the growth lines and the challenge counts read of an analysis: (skill, polarity, confidence) per finding. A
# successful analysis never changes; its findings are kept per process under its id and finish time (SQLite may give
# a deleted row's id to a new one, never with the same finish time), so that a page parses no result twice.
Finding = tuple[str, str, float]
_FINDINGS: LRUCache[tuple[int, Any], tuple[Finding, ...]] = LRUCache(maxsize=50_000)
_FINDINGS_LOCK = threading.Lock()


def forget_findings() -> None:
    """Empty this process's findings (what a request costs when nothing was read before)."""
    with _FINDINGS_LOCK:
        _FINDINGS.clear()


def _latest_findings(session: Session, record_ids: list[int]) -> dict[int, tuple[Finding, ...]]:
    """The findings of each record's latest successful analysis: one query, and one more for results not yet
    read in this process."""
    if not record_ids:
        return {}
    rows = session.execute(_latest_successes(), {"record_ids": record_ids})
    keys = {row.one_on_one_id: (row.id, row.finished_at) for row in rows}
    with _FINDINGS_LOCK:
        found = {record: _FINDINGS[key] for record, key in keys.items() if key in _FINDINGS}
    missing = {key[0]: (record, key) for record, key in keys.items() if record not in found}
    if missing:
        loaded = session.execute(_results(), {"analysis_ids": list(missing)})
        for analysis_id, result in loaded:
            record, key = missing[analysis_id]
            findings = tuple(
                (f["skill"], f["polarity"], float(f["confidence"])) for f in (result or {}).get("findings", [])
            )
            found[record] = findings
            if key[1] is not None:
                with _FINDINGS_LOCK:
                    _FINDINGS[key] = findings
    return found


@cache
def _latest_successes() -> Select[int, int, datetime | None]:
    newest = (
        select(func.max(Analysis.id))
        .where(
            Analysis.one_on_one_id.in_(bindparam("record_ids", expanding=True)),
            Analysis.status == AnalysisStatus.SUCCEEDED,
        )
        .group_by(Analysis.one_on_one_id)
    )
    return select(Analysis.one_on_one_id, Analysis.id, Analysis.finished_at).where(Analysis.id.in_(newest))


@cache
def _results() -> Select[int, Any]:
    return select(Analysis.id, Analysis.result).where(Analysis.id.in_(bindparam("analysis_ids", expanding=True)))


def _items_of(session: Session, member_ids: list[int]) -> list[Any]:
    return list(session.execute(_items_of_members(), {"member_ids": member_ids}).all())


@cache
def _items_of_members() -> Select[str, str, date, int]:
    return (
        select(ActionPlanItem.skill, ActionPlanItem.status, ActionPlanItem.due_date, ActionPlan.one_on_one_id)
        .join(ActionPlan, ActionPlan.id == ActionPlanItem.plan_id)
        .where(ActionPlan.member_id.in_(bindparam("member_ids", expanding=True)))
    )


def _completion(items: list[Any], today: date) -> Completion:
    done = sum(1 for i in items if i.status == ItemStatus.DONE)
    overdue = sum(1 for i in items if i.status != ItemStatus.DONE and i.due_date < today)
    return Completion(total=len(items), done=done, overdue=overdue, rate=round(done / len(items), 3) if items else None)


TEAM_SOURCES = (User, OneOnOne, Analysis, ActionPlan, ActionPlanItem)


def team(session: Session, actor: User, *, today: date, ttl: float = 0.0) -> TeamOut:
    """Everyone in the manager's whole subtree (everyone, for an admin), each with their last 1on1, open and
    overdue items, and the skills most often a challenge in their 1on1s.

    With ``ttl`` the summary is cached per actor and day (never shared between actors: each sees their own
    subtree), and read against the team version, which every write it depends on bumps after its commit."""
    return team_and_challenges(session, actor, today=today, ttl=ttl)[0]


def team_and_challenges(
    session: Session, actor: User, *, today: date, ttl: float = 0.0
) -> tuple[TeamOut, dict[int, Counter[str]]]:
    """:func:`team`, and for the team's heat map, per member, how many of their 1on1s found each skill a challenge
    (counted once for both, cached with the summary)."""
    if not policy.can_see_team(actor):
        raise PermissionDeniedError("チームの状況を見られるのは上司と管理者です。")
    cache = cache_of(session) if ttl > 0 else None
    if cache is None:
        return _team(session, actor, today)
    key = f"team:{actor.id}:{today.isoformat()}"
    (entry,), (version,) = cache.fetch([key], [TEAM_VERSION])  # one round trip
    if entry is not None and entry["version"] == version and "challenges" in entry:  # not one of an older release
        challenges = {int(member): Counter(counts) for member, counts in entry["challenges"].items()}
        return TeamOut.model_validate(entry["team"]), challenges
    summary, challenges = _team(session, actor, today)
    value = {"version": version, "team": summary.model_dump(mode="json"), "challenges": challenges}
    cache.set(key, value, ttl=ttl)
    return summary, challenges


@event.listens_for(Session, "after_flush")
def _team_changed(session: Session, _context: object) -> None:
    """Any flushed change to what a team summary reads makes every cached summary stale at commit."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, TEAM_SOURCES) for row in changed):
        invalidate_after_commit(session, bump=[TEAM_VERSION])


def _team(session: Session, actor: User, today: date) -> tuple[TeamOut, dict[int, Counter[str]]]:
    members = list(session.scalars(_team_of(actor.role), policy.bound(actor)))
    ids = [m.id for m in members]
    last = _last_one_on_ones(session, ids)
    counts = _open_and_overdue(session, ids, today)
    challenges = _challenge_counts(session, ids)
    items = [
        TeamMemberOut(
            id=m.id,
            name=m.name,
            email=m.email,
            role=m.role,
            manager_id=m.manager_id,
            last_one_on_one=last.get(m.id),
            open_items=counts.get(m.id, (0, 0))[0],
            overdue_items=counts.get(m.id, (0, 0))[1],
            frequent_challenges=[
                SkillCount(skill=skill, label=SKILL_LABELS_JA[skill], count=count)  # type: ignore[index]
                for skill, count in challenges.get(m.id, Counter()).most_common(TOP_CHALLENGES)
            ],
        )
        for m in members
    ]
    return TeamOut(items=items, total=len(items)), challenges


@cache
def _team_of(role: Role) -> Select[User]:
    """Everyone the actor sees but themself, by id."""
    return select(User).where(policy.scoped(role, User.id), User.id != bindparam(policy.ACTOR_ID)).order_by(User.id)


def _last_one_on_ones(session: Session, member_ids: list[int]) -> dict[int, date]:
    if not member_ids:
        return {}
    query = (
        select(OneOnOne.member_id, func.max(OneOnOne.held_on))
        .where(OneOnOne.member_id.in_(member_ids))
        .group_by(OneOnOne.member_id)
    )
    return dict(session.execute(query).all())


def _open_and_overdue(session: Session, member_ids: list[int], today: date) -> dict[int, tuple[int, int]]:
    if not member_ids:
        return {}
    is_open = ActionPlanItem.status != ItemStatus.DONE
    query = (
        select(
            ActionPlan.member_id,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((is_open & (ActionPlanItem.due_date < today), 1), else_=0)),
        )
        .join(ActionPlan, ActionPlan.id == ActionPlanItem.plan_id)
        .where(ActionPlan.member_id.in_(member_ids))
        .group_by(ActionPlan.member_id)
    )
    return {member: (int(open_ or 0), int(overdue or 0)) for member, open_, overdue in session.execute(query)}


def _challenge_counts(session: Session, member_ids: list[int]) -> dict[int, Counter[str]]:
    """How many of each member's 1on1s found each skill a challenge (a 1on1 counts a skill once)."""
    if not member_ids:
        return {}
    records = dict(session.execute(_records_of_members(), {"member_ids": member_ids}).all())
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for record_id, findings in _latest_findings(session, list(records)).items():
        skills = {skill for skill, polarity, _confidence in findings if polarity == "challenge"}
        counts[records[record_id]].update(s for s in skills if s in SKILL_IDS)
    return counts


@cache
def _records_of_members() -> Select[int, int]:
    return select(OneOnOne.id, OneOnOne.member_id).where(
        OneOnOne.member_id.in_(bindparam("member_ids", expanding=True))
    )
