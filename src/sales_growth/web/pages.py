"""Plumbing every domain's page routes share: the page user, the navigation of each role, rendering, redirects.

Page routes call the services (never the JSON API over HTTP); what a user may see is decided there, by the policy.
An error raised in a page route is rendered as a Japanese page by the app's error handler (:mod:`web.errors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sales_growth.accounts import policy
from sales_growth.accounts.deps import get_current_user
from sales_growth.accounts.models import Role, User
from sales_growth.web import notices, pagecache
from sales_growth.web.deps import SessionDep
from sales_growth.web.templating import templates


async def get_page_user(request: Request, session: SessionDep) -> User:
    """The logged-in user of a page, kept on the request for the header (401 redirects to the login page).

    It calls :func:`get_current_user` rather than depending on it: one dependency fewer to solve per page."""
    user = await get_current_user(request, session)
    request.state.user = user
    return user


PageUser = Annotated[User, Depends(get_page_user)]


async def get_admin_page_user(user: PageUser) -> User:
    """An admin's page: others get the 403 page (and a ``permission_denied`` audit event)."""
    policy.require_admin(user)
    return user


AdminPage = Annotated[User, Depends(get_admin_page_user)]


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str


_MEMBER_NAV = (
    NavLink("/home", "ホーム"),
    NavLink("/one-on-ones", "1on1一覧"),
    NavLink("/one-on-ones/new", "1on1を記録"),
)
_MANAGER_NAV = (
    NavLink("/team", "チーム"),
    NavLink("/one-on-ones", "1on1一覧"),
    NavLink("/one-on-ones/new", "1on1を記録"),
    NavLink("/home", "自分のホーム"),
)
_ADMIN_NAV = (
    NavLink("/admin/users", "ユーザー"),
    NavLink("/admin/accounts/inactive", "休眠アカウント"),
    NavLink("/admin/audit", "監査ログ"),
    NavLink("/admin/status", "システム状況"),
    NavLink("/team", "チーム"),
    NavLink("/one-on-ones", "1on1一覧"),
    NavLink("/one-on-ones/new", "1on1を記録"),
)


def navigation(user: User | None) -> tuple[NavLink, ...]:
    """The links of the header for the user's role (none before login)."""
    if user is None:
        return ()
    return {Role.ADMIN: _ADMIN_NAV, Role.MANAGER: _MANAGER_NAV}.get(user.role, _MEMBER_NAV)


def home_path(user: User) -> str:
    """Where each role starts: members at home, managers on their team, admins at the users."""
    return {Role.ADMIN: "/admin/users", Role.MANAGER: "/team"}.get(user.role, "/home")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page (or an HTMX fragment) rendered with the shared globals; ``user`` and ``nav`` come from the request."""
    user = getattr(request.state, "user", None)
    values = {"user": user, "nav": navigation(user), "path": request.url.path, **(context or {})}
    if pagecache.keeps(request):  # the cache puts each request's notice in (see web/notices.py)
        values["notice_slot"] = True
    else:
        values["notice"] = notices.text(request.query_params.get(notices.PARAM))
    return templates.TemplateResponse(request, template, values, status_code=status_code, headers=headers)


def see_other(path: str) -> RedirectResponse:
    """After a form post: 303 to the page showing the result (the browser then GETs it)."""
    return RedirectResponse(path, status_code=303)
