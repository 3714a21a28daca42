"""JSON routes: login tokens and users. Sync routes on purpose: argon2 runs in the threadpool, off the loop."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from sales_growth.accounts import service
from sales_growth.accounts.deps import AdminUser, CurrentUser, NowDep, bearer_token
from sales_growth.accounts.models import Role, TokenKind
from sales_growth.accounts.ratelimit import InMemoryRateLimiter, RateLimiter
from sales_growth.accounts.schemas import TokenOut, TokenRequest, UserCreate, UserList, UserOut, UserUpdate
from sales_growth.errors import DomainError, RateLimitedError
from sales_growth.settings import Settings
from sales_growth.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def login_limiter(request: Request, settings: Settings) -> RateLimiter:
    """The app's login limiter, made on first use (swap in a shared one by setting ``app.state.login_limiter``)."""
    limiter: RateLimiter | None = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        limiter = InMemoryRateLimiter(
            limit=settings.login_attempts_per_address, window_seconds=settings.login_window_seconds
        )
        request.app.state.login_limiter = limiter
    return limiter


def check_login_rate(request: Request, settings: Settings) -> None:
    address = request.client.host if request.client else "unknown"
    retry_after = login_limiter(request, settings).hit(f"login:{address}", time.monotonic())
    if retry_after is not None:
        raise RateLimitedError(
            "ログインの試行が多すぎます。しばらく待ってから再度お試しください。",
            headers={"Retry-After": str(int(retry_after))},
        )


@router.post("/auth/token")
def create_token(
    body: TokenRequest, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> TokenOut:
    check_login_rate(request, settings)
    try:
        issued = service.login(session, body.email, body.password, TokenKind.API, settings=settings, now=now)
    except DomainError:
        session.commit()  # a failed attempt must still count towards the lockout
        raise
    return TokenOut(access_token=issued.value, expires_at=issued.expires_at)


@router.post("/auth/logout", status_code=204)
def revoke_token(request: Request, session: SessionDep, _user: CurrentUser, now: NowDep) -> Response:
    value = bearer_token(request)
    if value is not None:
        service.logout(session, value, now=now)
    return Response(status_code=204)


@router.get("/me")
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("/users")
def list_users(
    session: SessionDep,
    user: CurrentUser,
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UserList:
    items, total = service.list_users(session, user, role=role, limit=limit, offset=offset)
    return UserList(items=[UserOut.model_validate(item) for item in items], total=total)


@router.get("/users/{user_id}")
def get_user(user_id: int, session: SessionDep, user: CurrentUser) -> UserOut:
    return UserOut.model_validate(service.get_user(session, user, user_id))


@router.post("/users", status_code=201)
def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserOut:
    return UserOut.model_validate(service.create_user(session, admin, body))


@router.patch("/users/{user_id}")
def update_user(user_id: int, body: UserUpdate, session: SessionDep, user: CurrentUser, now: NowDep) -> UserOut:
    return UserOut.model_validate(service.update_user(session, user, user_id, body, now=now))
