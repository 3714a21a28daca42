"""Security headers on every response, and CSRF protection for every cookie-authenticated state change.

CSRF: a state-changing request (POST, PUT, PATCH, DELETE) that carries the session cookie and no bearer token
must carry a token bound to that session, an HMAC of the session token with the secret key, in the form field
``csrf_token`` or the header ``X-CSRF-Token`` (HTMX sends headers). Bearer-token API calls need none: a browser
never adds an ``Authorization`` header by itself. The login form has no session yet; it carries a pre-session token
bound to a random cookie of its own (``sg_csrf``), so that no other site can log a browser into an account of its
choosing. Page code gets the right token for the current request from :func:`csrf_token`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sales_growth.accounts.deps import SESSION_COOKIE

logger = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PRE_SESSION_COOKIE = "sg_csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Paths whose form is sent before any session exists.
PRE_SESSION_PATHS = frozenset({"/login"})
CSRF_MESSAGE = "ページの有効期限が切れたか、不正な送信です。ページを再読み込みしてから、もう一度お試しください。"

# Self only, no inline script or style anywhere. The interactive API docs (/docs) load Swagger UI with an inline
# script and are left without a CSP; every page of the application itself gets the policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_EXEMPT_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
HSTS = "max-age=31536000; includeSubDomains"
_MAX_FORM_BYTES = 2_000_000
# Buffered to find the token: far above the largest record upload (MAX_UPLOAD_BYTES, 1 MB by default, in JSON).
_MAX_BODY_BYTES = 20_000_000
_REFUSAL_PAGE = (
    '<!doctype html>\n<html lang="ja"><head><meta charset="utf-8"><title>送信できませんでした | 営業グロースAI</title>'
    f'</head>\n<body><main><h1>送信できませんでした</h1><p role="alert">{CSRF_MESSAGE}</p></main></body></html>\n'
)


class SecurityHeadersMiddleware:
    """CSP, frame-ancestors 'none', nosniff, Referrer-Policy on every response; HSTS when served over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if scope["path"] not in CSP_EXEMPT_PATHS:
                    headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- tokens ----------------------------------------------------------------------------------------------------


def _sign(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def session_token(secret: str, session_value: str) -> str:
    """The CSRF token of a session: an HMAC of the session token with the secret key."""
    return _sign(secret, "csrf-session", session_value)


def pre_session_token(secret: str, nonce: str) -> str:
    """The CSRF token of a browser without a session, bound to its ``sg_csrf`` cookie."""
    return _sign(secret, "csrf-pre-session", nonce)


def csrf_token(request: Request) -> str:
    """The token a page must put in its forms (``csrf_token``) or its HTMX headers (``X-CSRF-Token``).

    With a session cookie it is bound to the session; without one it is the pre-session token, and the response
    sets the ``sg_csrf`` cookie it is bound to.
    """
    state = request.scope.setdefault("state", {})
    token: str | None = state.get("csrf_page_token")  # a page asks once per form: signed once per request
    if token is None:
        token = state["csrf_page_token"] = _csrf_token(request, state)
    return token


def _csrf_token(request: Request, state: dict[str, Any]) -> str:
    secret = _secret(request)
    session_value = request.cookies.get(SESSION_COOKIE)
    if session_value:
        return session_token(secret, session_value)
    nonce = request.cookies.get(PRE_SESSION_COOKIE)
    if not nonce:
        nonce = state.setdefault("csrf_new_nonce", secrets.token_urlsafe(24))
    return pre_session_token(secret, nonce)


def _secret(request: Request) -> str:
    key: str | None = getattr(request.app.state, "csrf_secret", None)
    if key is None:
        key = request.app.state.settings.resolved_secret_key()
        request.app.state.csrf_secret = key
    return key


# --- the middleware --------------------------------------------------------------------------------------------


class CSRFMiddleware:
    """Refuses cookie-authenticated state changes without a valid token (403), and sets the pre-session cookie
    when a page asked for a pre-session token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if _needs_token(request):
            body = await _read_body(receive)
            if body is None:
                await _too_large()(scope, receive, send)
                return
            if not await _token_is_valid(request, body):
                await _refuse(request)(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, _with_pre_session_cookie(scope, send))


def _needs_token(request: Request) -> bool:
    if request.method not in UNSAFE_METHODS:
        return False
    if request.url.path in PRE_SESSION_PATHS:
        return True
    has_bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    return bool(request.cookies.get(SESSION_COOKIE)) and not has_bearer


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, to find the token in it and hand it on; None beyond what any route of the app accepts."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large() -> Response:
    message = "リクエストが大きすぎます。"
    return JSONResponse({"error": {"code": "payload_too_large", "message": message}, "detail": message}, 413)


def _replay(body: bytes, then: Receive | None = None) -> Receive:
    """The body read already, once; afterwards the connection's own ``receive`` (``then``).

    A streaming response listens for the client's disconnect: answering ``http.disconnect`` at once would end
    every stream as soon as it starts, so after the body the real connection is asked, which answers only when
    the client actually goes away.
    """
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            if then is not None:
                return await then()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _token_is_valid(request: Request, body: bytes) -> bool:
    given = request.headers.get(CSRF_HEADER) or await _form_token(request, body)
    if not given:
        return False
    secret = _secret(request)
    expected: list[str] = []
    session_value = request.cookies.get(SESSION_COOKIE)
    if session_value and request.url.path not in PRE_SESSION_PATHS:
        expected.append(session_token(secret, session_value))
    nonce = request.cookies.get(PRE_SESSION_COOKIE)
    if nonce and request.url.path in PRE_SESSION_PATHS:
        expected.append(pre_session_token(secret, nonce))
    return any(hmac.compare_digest(given, token) for token in expected)


async def _form_token(request: Request, body: bytes) -> str | None:
    content_type = request.headers.get("content-type", "")
    if len(body) > _MAX_FORM_BYTES:
        return None
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        replayed = Request(request.scope, _replay(body))
        try:
            async with replayed.form(max_files=5, max_fields=50) as form:
                value = form.get(CSRF_FIELD)
                return value if isinstance(value, str) else None
        except Exception:  # a malformed body has no token; the route never sees it
            return None
    return None


def _refuse(request: Request) -> Response:
    """403, and a ``permission_denied`` audit event written after the response is sent."""
    from starlette.background import BackgroundTask

    from sales_growth.ops.audit import record_denial

    async def audit() -> None:
        await run_in_threadpool(
            record_denial,
            request.app.state.session_factory,
            actor_id=None,
            method=request.method,
            path=request.url.path,
            reason="csrf",
        )

    task = BackgroundTask(audit)
    if request.url.path.startswith("/api/"):
        body = {"error": {"code": "csrf_failed", "message": CSRF_MESSAGE}, "detail": CSRF_MESSAGE}
        return JSONResponse(body, status_code=403, background=task)
    return HTMLResponse(_REFUSAL_PAGE, status_code=403, background=task)


def _with_pre_session_cookie(scope: Scope, send: Send) -> Send:
    async def send_with_cookie(message: Message) -> None:
        nonce = scope.get("state", {}).get("csrf_new_nonce")
        if message["type"] == "http.response.start" and nonce:
            cookie: SimpleCookie = SimpleCookie()
            cookie[PRE_SESSION_COOKIE] = nonce
            morsel = cookie[PRE_SESSION_COOKIE]
            morsel["path"], morsel["httponly"], morsel["samesite"] = "/", True, "Lax"
            if scope.get("scheme") == "https":
                morsel["secure"] = True
            MutableHeaders(scope=message).append("Set-Cookie", morsel.OutputString())
        await send(message)

    return send_with_cookie
