"""Admin pages of operations: the audit log with filters, and the system status with the manual's KPIs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sales_growth.accounts.deps import NowDep
from sales_growth.accounts.models import User
from sales_growth.feedback import service as feedback
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne
from sales_growth.ops import audit, health, metrics
from sales_growth.ops.maintenance import JST
from sales_growth.web.deps import SessionDep, SessionRoute
from sales_growth.web.pages import AdminPage, render

router = APIRouter(tags=["ops-pages"], include_in_schema=False, route_class=SessionRoute)

EVENTS_PER_PAGE = 50
RECENT_FAILURES = 10

ACTION_LABELS = {
    "login_succeeded": "ログイン成功",
    "login_failed": "ログイン失敗",
    "account_locked": "アカウントのロック",
    "account_unlocked": "ロックの解除",
    "logout": "ログアウト",
    "permission_denied": "権限のない操作",
    "user_created": "ユーザーの作成",
    "user_updated": "ユーザーの更新",
    "role_changed": "役割の変更",
    "manager_changed": "上司の変更",
    "password_changed": "パスワードの変更",
    "user_deactivated": "アカウントの無効化",
    "user_reactivated": "アカウントの再有効化",
    "audit_exported": "監査ログの書き出し",
    "backup_created": "バックアップの作成",
    "backup_restored": "バックアップからの復元",
    "maintenance_on": "メンテナンス開始",
    "maintenance_off": "メンテナンス終了",
    "maintenance_announced": "メンテナンスの予告",
    "rate_limited": "回数制限",
    "safety_event": "セーフティ対応",
}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _start_of(day: date | None) -> datetime | None:
    """The start of a day in Japan time (the users' dates)."""
    return datetime.combine(day, time(), tzinfo=JST) if day else None


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    _admin: AdminPage,
    action: str = "",
    actor: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> HTMLResponse:
    """The audit log, newest first, filtered by action, actor (email) and dates (from ``since`` to ``until``
    inclusive, Japan time)."""
    page = max(page, 1)
    since_day, until_day = _day(since), _day(until)
    actor_id = _actor_id(session, actor)
    filters = audit.AuditFilter(
        action=action if action in audit.ACTIONS else None,
        actor_id=actor_id,
        since=_start_of(since_day),
        until=_start_of(until_day + timedelta(days=1)) if until_day else None,
        limit=EVENTS_PER_PAGE,
        offset=(page - 1) * EVENTS_PER_PAGE,
    )
    events, total = ([], 0) if actor and actor_id is None else audit.list_events(session, filters)
    people = {e.actor_id for e in events if e.actor_id} | {e.target_id for e in events if e.target_id}
    context = {
        "events": events,
        "total": total,
        "users": _users(session, people),
        "actions": sorted(audit.ACTIONS, key=lambda a: ACTION_LABELS.get(a, a)),
        "labels": ACTION_LABELS,
        "filters": {"action": action, "actor": actor, "since": since, "until": until},
        "page": page,
        "pages": max(1, -(-total // EVENTS_PER_PAGE)),
    }
    return render(request, "ops/audit.html", context)


def _actor_id(session: Session, email: str) -> int | None:
    if not email.strip():
        return None
    return session.scalar(select(User.id).where(User.email == email.strip().lower()))


def _users(session: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


@router.get("/admin/status", response_class=HTMLResponse)
def status_page(request: Request, session: SessionDep, _admin: AdminPage, now: NowDep) -> HTMLResponse:
    """Health, queue depth, failed analyses and the KPIs of the operations manual."""
    week_ago = now - timedelta(days=7)
    failed_week = session.scalar(
        select(func.count(Analysis.id)).where(
            Analysis.status == AnalysisStatus.FAILED, Analysis.finished_at >= week_ago
        )
    )
    waiting = session.scalar(
        select(func.count(Analysis.id)).where(Analysis.status.in_([AnalysisStatus.QUEUED, AnalysisStatus.RUNNING]))
    )
    failures = session.execute(
        select(Analysis, OneOnOne.title)
        .join(OneOnOne, OneOnOne.id == Analysis.one_on_one_id)
        .where(Analysis.status == AnalysisStatus.FAILED)
        .order_by(Analysis.finished_at.desc(), Analysis.id.desc())
        .limit(RECENT_FAILURES)
    ).all()
    context = {
        "checks": health.run_checks(request.app.state.engine, request.app.state.settings),
        "requests": metrics.request_summary(),
        "failed_week": failed_week or 0,
        "waiting": waiting or 0,
        "failures": [(analysis, title) for analysis, title in failures],
        "satisfaction": feedback.satisfaction(session, now=now),
        "accuracy": feedback.ai_accuracy(session, now=now),
    }
    return render(request, "ops/status.html", context)
