"""``GET /api/v1/audit-events``: the audit log for admins, filtered and paged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from sales_growth.accounts.deps import AdminUser
from sales_growth.errors import InvalidInputError
from sales_growth.ops import audit
from sales_growth.ops.schemas import AuditEventList, AuditEventOut
from sales_growth.web.deps import SessionDep, SessionRoute

router = APIRouter(prefix="/api/v1", tags=["ops"], route_class=SessionRoute)


@router.get("/audit-events")
def list_audit_events(
    session: SessionDep,
    _admin: AdminUser,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    target_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditEventList:
    """監査ログ（新しい順）。管理者のみ。``since`` 以上 ``until`` 未満の日時で絞り込めます。"""
    if action is not None and action not in audit.ACTIONS:
        raise InvalidInputError(f"不明な操作種別です: {action}")
    filters = audit.AuditFilter(
        action=action,
        actor_id=actor_id,
        target_id=target_id,
        since=_aware(since),
        until=_aware(until),
        limit=limit,
        offset=offset,
    )
    events, total = audit.list_events(session, filters)
    items = [AuditEventOut.model_validate(event) for event in events]
    return AuditEventList(items=items, total=total, limit=limit, offset=offset)


def _aware(moment: datetime | None) -> datetime | None:
    """A date-time without a zone is read as Japan time, the users' own (the API answers in UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    from zoneinfo import ZoneInfo

    return moment.replace(tzinfo=ZoneInfo("Asia/Tokyo"))
