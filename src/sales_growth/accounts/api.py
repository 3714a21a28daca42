"""JSON routes: login tokens and users. Sync routes on purpose: argon2 runs in the threadpool, off the loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from sales_growth.accounts import service
from sales_growth.accounts.deps import AdminUser, CurrentUser, NowDep, app_limiter, bearer_token, client_address
from sales_growth.accounts.events import record_event
from sales_growth.accounts.models import Role, TokenKind
from sales_growth.accounts.ratelimit import enforce
from sales_growth.accounts.schemas import TokenOut, TokenRequest, UserCreate, UserList, UserOut, UserUpdate
from sales_growth.errors import DomainError, RateLimitedError
from sales_growth.settings import Settings
from sales_growth.web.deps import SessionDep, SessionRoute, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["accounts"], route_class=SessionRoute)


LOGIN_RATE_MESSAGE = "ログインの試行が多すぎます。しばらく待ってから再度お試しください。"


def check_login_rate(request: Request, session: Session, settings: Settings, email: str) -> None:
    """Per address and per account (the address typed, known or not: no enumeration), before any password check.

    A refusal is audited as ``rate_limited``; the caller commits before re-raising, as for failed logins.
    """
    address = client_address(request)
    by_address = app_limiter(
        request,
        settings,
        "login-address",
        limit=settings.login_attempts_per_address,
        window=settings.login_window_seconds,
    )
    by_account = app_limiter(
        request,
        settings,
        "login-account",
        limit=settings.login_attempts_per_account,
        window=settings.login_window_seconds,
    )
    account = email.strip().lower()[:254]
    for limiter, key, scope in ((by_address, address, "address"), (by_account, account, "account")):
        try:
            enforce(limiter, key, LOGIN_RATE_MESSAGE)
        except RateLimitedError:
            record_event("rate_limited", session=session, limit="login", scope=scope)
            raise


@router.post("/auth/token")
def create_token(
    body: TokenRequest, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> TokenOut:
    try:
        check_login_rate(request, session, settings, body.email)
        issued = service.login(session, body.email, body.password, TokenKind.API, settings=settings, now=now)
    except DomainError:
        session.commit()  # a failed attempt must still count towards the lockout, and its audit event must stay
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
