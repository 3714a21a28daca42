"""Opaque login tokens for the API (bearer) and the browser (cookie session).

The client holds a random value; the database holds only its SHA-256. A token dies at the first of: its absolute
lifetime, an idle gap longer than the idle limit, logout (revocation), or its user's deactivation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from sales_growth.accounts.models import AuthToken, TokenKind, User
from sales_growth.db import write_after_commit
from sales_growth.ops.cache import TEAM_VERSION, Cache, cache_of, invalidate_after_commit
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
    caller's transaction commits.

    Between two touches the token's user comes from the cache (no query): an entry is only made for a live token
    of an active user, lives at most ``SESSION_CACHE_SECONDS`` and never past the next touch, and is dropped when
    the token is revoked or its user changes (:func:`forget_user`)."""
    hashed = hash_token(value)
    cached = resolve_cached(session, hashed, kind, settings=settings, now=now)
    if cached is not None:
        return cached
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == hashed, AuthToken.kind == kind)
    ).first()
    if row is None:
        return None
    token, user = row
    idle, _lifetime = _limits(settings, kind)
    if token.revoked_at is not None or now >= token.expires_at or now - token.last_used_at > idle:
        return None
    if not user.is_active:
        return None
    last_used = token.last_used_at
    if now - last_used >= TOUCH_INTERVAL:
        write_after_commit(session, update(AuthToken).where(AuthToken.id == token.id).values(last_used_at=now))
        last_used = now
    _remember(session, hashed, token, user, last_used=last_used, settings=settings)
    return user


# The user's columns a request reads; the password hash is left out of the cache (it loads when asked for).
_CACHED_COLUMNS = ("id", "email", "name", "role", "manager_id", "is_active", "failed_login_count")
_CACHED_TIMES = ("last_login_at", "locked_until", "created_at", "updated_at")


def _remember(
    session: Session, hashed: str, token: AuthToken, user: User, *, last_used: datetime, settings: Settings
) -> None:
    cache = cache_of(session)
    if cache is None or settings.session_cache_seconds <= 0:
        return
    columns: dict[str, Any] = {name: getattr(user, name) for name in _CACHED_COLUMNS}
    columns |= {name: _iso(getattr(user, name)) for name in _CACHED_TIMES}
    entry = {"kind": token.kind, "last_used_at": _iso(last_used), "expires_at": _iso(token.expires_at)}
    cache.set(cache_key(hashed), entry | {"user": columns}, ttl=settings.session_cache_seconds)


def cache_key(hashed: str) -> str:
    """Where a token's entry (its user's columns under ``"user"``) is cached."""
    return f"token:{hashed}"


def live_cached_entry(
    cache: Cache | None, hashed: str, kind: TokenKind, *, settings: Settings, now: datetime
) -> dict[str, Any] | None:
    """The cached entry of a live token (its user's columns under ``"user"``), or None when the database must
    decide: nothing cached, or past the touch interval."""
    entry = cache.get(cache_key(hashed)) if cache is not None and settings.session_cache_seconds > 0 else None
    return live_entry(entry, kind, settings=settings, now=now)


def live_entry(
    entry: dict[str, Any] | None, kind: TokenKind, *, settings: Settings, now: datetime
) -> dict[str, Any] | None:
    """``entry``, read from the token cache, when it is one of a live token of this kind; else None (see
    :func:`live_cached_entry`)."""
    if entry is None or settings.session_cache_seconds <= 0 or entry["kind"] != kind:
        return None
    last_used, expires = datetime.fromisoformat(entry["last_used_at"]), datetime.fromisoformat(entry["expires_at"])
    idle, _lifetime = _limits(settings, kind)
    # Past the touch interval the database has the say again: it moves last_used_at and checks everything.
    if now >= expires or now - last_used >= min(TOUCH_INTERVAL, idle):
        return None
    return dict(entry)


def resolve_cached(
    session: Session,
    hashed: str,
    kind: TokenKind,
    *,
    settings: Settings,
    now: datetime,
    entry: dict[str, Any] | None = None,
) -> User | None:
    """:func:`resolve` from the cache alone, for the token whose hash is ``hashed`` (no query; callable on the event
    loop); None means the database must decide, through :func:`resolve`. ``entry``: its cache entry, read earlier
    in this request (no second read)."""
    if entry is not None:
        entry = live_entry(entry, kind, settings=settings, now=now)
    else:
        entry = live_cached_entry(cache_of(session), hashed, kind, settings=settings, now=now)
    if entry is None:
        return None
    columns = dict(entry["user"])
    columns |= {name: datetime.fromisoformat(columns[name]) if columns[name] else None for name in _CACHED_TIMES}
    user = User(**columns)
    make_transient_to_detached(user)
    return session.merge(user, load=False)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def forget_user(session: Session, user_id: int) -> None:
    """Drop the cached user of every token of ``user_id`` once the transaction commits (the user changed)."""
    if cache_of(session) is None:
        return
    hashes = session.scalars(select(AuthToken.token_hash).where(AuthToken.user_id == user_id))
    # The user's name, role or reporting line may be on a team summary too.
    invalidate_after_commit(session, delete=[cache_key(hashed) for hashed in hashes], bump=[TEAM_VERSION])


def revoke(session: Session, value: str, *, now: datetime) -> int | None:
    """Revoke one token by its value; the id of its user when a live token was revoked, else None."""
    token = session.scalar(
        select(AuthToken).where(AuthToken.token_hash == hash_token(value), AuthToken.revoked_at.is_(None))
    )
    if token is None:
        return None
    token.revoked_at = now
    session.flush()
    invalidate_after_commit(session, delete=[cache_key(token.token_hash)])
    return token.user_id


def revoke_all_for(session: Session, user_id: int, *, now: datetime) -> None:
    """Revoke every token of a user (deactivation, password change)."""
    session.execute(
        update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    forget_user(session, user_id)
