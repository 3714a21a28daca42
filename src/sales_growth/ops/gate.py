"""The maintenance gate: while maintenance is on, only admins get through (see :mod:`sales_growth.ops.maintenance`)."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sales_growth.accounts import tokens
from sales_growth.accounts.deps import SESSION_COOKIE, bearer_token
from sales_growth.accounts.models import Role, TokenKind
from sales_growth.db import transaction, utcnow
from sales_growth.ops import maintenance

logger = logging.getLogger(__name__)

# Reachable during maintenance: the checks of the operations team, logging in (admins must be able to) and the
# status the pages poll.
EXEMPT_PATHS = frozenset({"/health", "/metrics", "/login", "/logout", "/api/v1/auth/token", "/api/v1/maintenance"})
EXEMPT_PREFIXES = ("/static/",)


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


STATUS_KEY = "maintenance_status"


class MaintenanceMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # Read from the per-process copy on the event loop; only a stale copy costs a thread (and a query). The
        # page cache's early lookup may have read it already (its key holds the banner).
        status = scope.get("state", {}).get(STATUS_KEY)
        if status is None:
            status = fresh_status(request)
        if status is None:
            status = await run_in_threadpool(current_status, request)
        # The page's banner reads this one: a second read while rendering could need a second connection.
        scope.setdefault("state", {})[STATUS_KEY] = status
        if status.active and not await run_in_threadpool(_is_admin, request):
            await _refusal(request, status)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def current_status(request: Request) -> maintenance.Status:
    try:
        cache: maintenance.StatusCache = request.app.state.maintenance
        return cache.get()
    except Exception:  # a database that cannot answer is /health's business; the gate then lets requests through
        logger.warning("could not read the maintenance state", exc_info=True)
        return maintenance.Status()


def fresh_status(request: Request) -> maintenance.Status | None:
    cache: maintenance.StatusCache | None = getattr(request.app.state, "maintenance", None)
    return cache.fresh() if cache is not None else None


def _is_admin(request: Request) -> bool:
    value, kind = bearer_token(request), TokenKind.API
    if value is None:
        value, kind = request.cookies.get(SESSION_COOKIE), TokenKind.SESSION
    if not value:
        return False
    with transaction(request.app.state.session_factory) as session:
        user = tokens.resolve(session, value, kind, settings=request.app.state.settings, now=utcnow())
        return user is not None and user.role == Role.ADMIN


def _refusal(request: Request, status: maintenance.Status) -> Response:
    headers = {"Retry-After": str(status.retry_after(utcnow()))}
    if request.url.path.startswith("/api/"):
        message = status.notice()
        body = {"error": {"code": "maintenance", "message": message}, "detail": message}
        return JSONResponse(body, status_code=503, headers=headers)
    return HTMLResponse(maintenance.page(status), status_code=503, headers=headers)


def maintenance_banner(request: Request) -> str | None:
    """The banner text announcing the next maintenance window, for every page to show (None: nothing to show).

    Templates call it as ``maintenance_banner(request)``; it reads the per-process cache, never the database
    on each page.
    """
    status = request.scope.get("state", {}).get(STATUS_KEY)
    return (status if isinstance(status, maintenance.Status) else current_status(request)).banner(utcnow())
