"""Opaque login tokens for the API (bearer) and the browser (cookie session).

The client holds a random value; the database holds only its SHA-256. A token dies at the first of: its absolute
lifetime, an idle gap longer than the idle limit, logout (revocation), or its user's deactivation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sales_growth.accounts.models import AuthToken, TokenKind, User
from sales_growth.db import write_after_commit
from sales_growth.settings import Settings

# Reads must not write on every request: last_used_at moves at most this often (idle expiry is minutes-grained).
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    value: str  # shown to the client once, never stored
    expires_at: datetime


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _limits(settings: Settings, kind: TokenKind) -> tuple[timedelta, timedelta]:
    """(idle limit, absolute lifetime) for a kind of token."""
    if kind == TokenKind.API:
        return timedelta(minutes=settings.token_idle_minutes), timedelta(hours=settings.token_lifetime_hours)
    return timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_lifetime_hours)


def issue(session: Session, user: User, kind: TokenKind, *, settings: Settings, now: datetime) -> IssuedToken:
    value = secrets.token_urlsafe(32)
    _idle, lifetime = _limits(settings, kind)
    token = AuthToken(
        user_id=user.id,
        kind=kind,
        token_hash=hash_token(value),
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return IssuedToken(value=value, expires_at=token.expires_at)


def resolve(session: Session, value: str, kind: TokenKind, *, settings: Settings, now: datetime) -> User | None:
    """The active user holding this live token, or None. Touches last_used_at at most once a minute, after the
    caller's transaction commits."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == hash_token(value), AuthToken.kind == kind)
    ).first()
    if row is None:
        return None
    token, user = row
    idle, _lifetime = _limits(settings, kind)
    if token.revoked_at is not None or now >= token.expires_at or now - token.last_used_at > idle:
        return None
    if not user.is_active:
        return None
    if now - token.last_used_at >= TOUCH_INTERVAL:
        write_after_commit(session, update(AuthToken).where(AuthToken.id == token.id).values(last_used_at=now))
    return user


def revoke(session: Session, value: str, *, now: datetime) -> int | None:
    """Revoke one token by its value; the id of its user when a live token was revoked, else None."""
    token = session.scalar(
        select(AuthToken).where(AuthToken.token_hash == hash_token(value), AuthToken.revoked_at.is_(None))
    )
    if token is None:
        return None
    token.revoked_at = now
    session.flush()
    return token.user_id


def revoke_all_for(session: Session, user_id: int, *, now: datetime) -> None:
    """Revoke every token of a user (deactivation, password change)."""
    session.execute(
        update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None)).values(revoked_at=now)
    )
