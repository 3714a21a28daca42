"""Route dependencies for authentication: ``CurrentUser`` and ``AdminUser``.

A request is authenticated by ``Authorization: Bearer <token>`` (API) or by the session cookie (browser).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from sales_growth.accounts import policy, tokens
from sales_growth.accounts.models import TokenKind, User
from sales_growth.accounts.ratelimit import RateLimiter, enforce, make_limiter
from sales_growth.db import utcnow
from sales_growth.errors import AuthenticationError
from sales_growth.settings import Settings
from sales_growth.web.deps import SessionDep, SettingsDep

SESSION_COOKIE = "sg_session"


def request_now(request: Request) -> datetime:
    """The current time, read once per request (the page cache reads it before the route); tests move it by
    setting ``app.state.clock`` to a callable."""
    state = request.scope.setdefault("state", {})
    if "now" not in state:
        clock: Callable[[], datetime] = getattr(request.app.state, "clock", utcnow)
        state["now"] = clock()
    now: datetime = state["now"]
    return now


async def get_now(request: Request) -> datetime:
    """:func:`request_now` as a dependency; ``async`` because it does no I/O: a sync dependency costs a hop into
    the thread pool (as do the other trivial dependencies: settings, the page's user)."""
    return request_now(request)


NowDep = Annotated[datetime, Depends(get_now)]


# A session's cache entry read as the request arrived (by the page cache's lookup), used by the route if it starts
# within this many seconds: past it (a long wait at the admission gate) the entry is read again, so that a session
# ended meanwhile is not served.
TOKEN_ENTRY_SECONDS = 1.0
_TOKEN_ENTRY = "session_entry"  # noqa: S105 (a key of the request's state)


def remember_token_entry(request: Request, hashed: str, entry: dict[str, Any]) -> None:
    """Hand the live cache entry of the session ``hashed`` on to :func:`get_current_user` (no second read)."""
    request.scope.setdefault("state", {})[_TOKEN_ENTRY] = (hashed, entry, time.monotonic())


def _token_entry(request: Request, hashed: str) -> dict[str, Any] | None:
    found = request.scope.get("state", {}).pop(_TOKEN_ENTRY, None)
    if found is None or found[0] != hashed or time.monotonic() - found[2] > TOKEN_ENTRY_SECONDS:
        return None
    entry: dict[str, Any] = found[1]
    return entry


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def get_current_user(request: Request, session: SessionDep) -> User:
    """The token's user: from the cache on the event loop when it has a live entry, else from the database in a
    thread (once a minute per token, and after every invalidation).

    It reads the settings and the clock from the request, not as dependencies of its own: FastAPI solves each
    dependency of each request again, cached or not (about 0.1 ms of CPU each), and this one is on every route.
    """
    settings: Settings = request.app.state.settings
    now = request_now(request)
    value = bearer_token(request)
    kind = TokenKind.API
    if value is None:
        value = request.cookies.get(SESSION_COOKIE)
        kind = TokenKind.SESSION
    user = None
    if value:
        hashed = tokens.hash_token(value)
        entry = _token_entry(request, hashed) if kind == TokenKind.SESSION else None
        user = tokens.resolve_cached(session, hashed, kind, settings=settings, now=now, entry=entry)
        if user is None:
            user = await run_in_threadpool(tokens.resolve, session, value, kind, settings=settings, now=now)
    if user is None:
        raise AuthenticationError(headers={"WWW-Authenticate": "Bearer"})
    # Read by the access log, the audit of refusals and the maintenance gate (request.state crosses threads).
    request.state.user_id = user.id
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    policy.require_admin(user)
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]


# --- rate limits -----------------------------------------------------------------------------------------------

EXPENSIVE_RATE_MESSAGE = "短時間に処理の依頼が多すぎます。しばらく待ってから再度お試しください。"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def app_limiter(request: Request, settings: Settings, name: str, *, limit: int, window: float) -> RateLimiter:
    """The app's limiter called ``name``, made on first use (in Redis when ``REDIS_URL`` is set)."""
    limiters: dict[str, RateLimiter] = request.app.state.__dict__.setdefault("rate_limiters", {})
    if name not in limiters:
        limiters[name] = make_limiter(settings.redis_url, name=name, limit=limit, window_seconds=window)
    return limiters[name]


def get_expensive_user(request: Request, user: CurrentUser, settings: SettingsDep) -> User:
    """The current user, counted against the limits of expensive work (records, re-analyses): per user and per
    address; 429 with ``Retry-After`` beyond them."""
    window = settings.expensive_window_seconds
    per_user = app_limiter(
        request, settings, "expensive-user", limit=settings.expensive_requests_per_user, window=window
    )
    per_address = app_limiter(
        request, settings, "expensive-address", limit=settings.expensive_requests_per_address, window=window
    )
    enforce(per_user, str(user.id), EXPENSIVE_RATE_MESSAGE)
    enforce(per_address, client_address(request), EXPENSIVE_RATE_MESSAGE)
    return user


ExpensiveUser = Annotated[User, Depends(get_expensive_user)]
