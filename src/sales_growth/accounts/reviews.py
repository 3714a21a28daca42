"""Account reviews of the operations manual: the 90-day inactivity review and the monthly permissions inventory
(権限設定の棚卸し). Services flush; the command commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session, aliased

from sales_growth.accounts import service
from sales_growth.accounts.models import Role, User


def inactive_users(session: Session, *, days: int, now: datetime) -> list[User]:
    """Active accounts with no login for ``days`` days; never-used ones count from their creation."""
    cutoff = now - timedelta(days=days)
    query = select(User).where(
        User.is_active.is_(True),
        or_(User.last_login_at < cutoff, and_(User.last_login_at.is_(None), User.created_at < cutoff)),
    )
    return list(session.scalars(query.order_by(User.last_login_at.asc().nulls_first(), User.id)))


def deactivate_inactive(session: Session, users: list[User], *, days: int, now: datetime) -> list[User]:
    """Deactivate ``users`` except admins (an unattended review must never lock the operators out).

    Each deactivation revokes the account's tokens and is audited. Returns the users deactivated.
    """
    done = [user for user in users if user.role != Role.ADMIN]
    for user in done:
        service.set_active(session, None, user, active=False, now=now, reason=f"inactive_{days}_days")
    session.flush()
    return done


@dataclass(frozen=True)
class ReviewRow:
    id: int
    email: str
    name: str
    role: str
    manager_email: str
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime


_ROLE_ORDER = {Role.ADMIN.value: 0, Role.MANAGER.value: 1, Role.MEMBER.value: 2}


def review_rows(session: Session) -> list[ReviewRow]:
    """Every user with role, manager and last login, admins first, for the monthly inventory."""
    manager = aliased(User)
    rows = session.execute(
        select(User, manager.email)
        .outerjoin(manager, manager.id == User.manager_id)
        .order_by(case(_ROLE_ORDER, value=User.role, else_=len(_ROLE_ORDER)), User.email)
    )
    return [
        ReviewRow(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            manager_email=manager_email or "",
            is_active=user.is_active,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
        )
        for user, manager_email in rows
    ]
