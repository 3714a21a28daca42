"""The minimal login form and the cookie session (the real pages come with the UI issue)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sales_growth.accounts import service
from sales_growth.accounts.api import check_login_rate
from sales_growth.accounts.deps import SESSION_COOKIE, NowDep
from sales_growth.accounts.models import TokenKind
from sales_growth.errors import DomainError
from sales_growth.ops.gate import maintenance_banner
from sales_growth.ops.security import csrf_token
from sales_growth.settings import Settings
from sales_growth.web.deps import SessionDep, SettingsDep

router = APIRouter(tags=["accounts-pages"])

_FORM = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>ログイン | 営業グロースAI</title></head>
<body>{banner}<main><h1>営業グロースAI</h1>{error}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{csrf}">
<label>メールアドレス <input type="email" name="email" autocomplete="username" required></label>
<label>パスワード <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">ログイン</button>
</form></main></body></html>
"""


def _form(request: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    block = f'<p role="alert">{escape(error)}</p>' if error else ""
    notice = maintenance_banner(request)
    banner = f'<aside role="status" class="maintenance-banner">{escape(notice)}</aside>' if notice else ""
    html = _FORM.format(error=block, banner=banner, csrf=escape(csrf_token(request)))
    return HTMLResponse(html, status_code=status_code)


def _secure(request: Request, settings: Settings) -> bool:
    return settings.cookie_secure if settings.cookie_secure is not None else request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _form(request)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: str = Form(""),
    password: str = Form(""),
) -> Response:
    try:
        check_login_rate(request, session, settings, email)
        issued = service.login(session, email, password, TokenKind.SESSION, settings=settings, now=now)
    except DomainError as error:
        session.commit()  # failed attempts count towards the lockout
        return _form(request, error.message, status_code=error.status_code)
    response = RedirectResponse("/", status_code=303)
    max_age = settings.session_lifetime_hours * 3600
    response.set_cookie(
        SESSION_COOKIE, issued.value, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request, settings)
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> RedirectResponse:
    value = request.cookies.get(SESSION_COOKIE)
    if value:
        service.logout(session, value, now=now)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request, settings))
    return response
