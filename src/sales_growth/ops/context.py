"""Who and where a request comes from, for every log line and audit event it causes.

A pure ASGI middleware (not ``BaseHTTPMiddleware``) so that the context variables it binds reach the route, its
dependencies and the threadpool they run in.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sales_growth.ops.logs import access_fields

_access = structlog.get_logger("sales_growth.access")

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's request id is kept when it is short and plain (it ends up in logs and headers), else replaced.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def new_request_id(incoming: str | None) -> str:
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Binds ``request_id`` and ``client_ip`` for the request, returns the id as ``X-Request-ID`` and writes the
    request's one access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = new_request_id(incoming)
        client = scope.get("client")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, client_ip=client[0] if client else None)
        scope.setdefault("state", {})["request_id"] = request_id
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _access.info("request", **access_fields(scope, status[0], time.perf_counter() - started))
