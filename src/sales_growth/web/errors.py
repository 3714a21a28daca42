"""Errors of browser routes as Japanese pages; the JSON API keeps its JSON errors.

A page that needs a login redirects to ``/login`` (an HTMX request gets ``HX-Redirect`` instead, so the whole
page changes, not a fragment). No error page ever shows a stack trace or an exception's text: only the Japanese
message of a domain error, or a fixed message per status.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.requests import Request

NON_PAGE_PATHS = frozenset({"/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect"})
_TITLES = {
    400: "リクエストを処理できませんでした",
    401: "ログインが必要です",
    403: "権限がありません",
    404: "ページが見つかりません",
    405: "この操作はできません",
    409: "操作できませんでした",
    413: "ファイルが大きすぎます",
    422: "入力内容に誤りがあります",
    423: "アカウントがロックされています",
    429: "リクエストが多すぎます",
    500: "サーバーで問題が発生しました",
    503: "ただいま利用できません",
}


def is_page_request(request: Request) -> bool:
    """A browser route (an HTML page or an HTMX fragment), not the JSON API or the operations endpoints."""
    path = request.url.path
    return not path.startswith("/api/") and path not in NON_PAGE_PATHS


def login_redirect(request: Request) -> Response:
    """To the login page, coming back here afterwards (only a local path is ever given as ``next``)."""
    if request.headers.get("hx-request"):
        # A fragment is no page to come back to: the page it was polled from is (HTMX names it).
        current = urlsplit(request.headers.get("hx-current-url", ""))
        same_site = current.netloc in {"", request.url.netloc}
        target = (current.path + (f"?{current.query}" if current.query else "")) if same_site else "/"
        return Response(status_code=204, headers={"HX-Redirect": _login_location(target or "/")})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(_login_location(target if request.method == "GET" else "/"), status_code=303)


def _login_location(target: str) -> str:
    return "/login" if target == "/" else f"/login?next={quote(target, safe='')}"


def error_page(
    request: Request, status_code: int, message: str, *, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """The Japanese error page for ``status_code``, with the header of the user when they are known."""
    from sales_growth.web.pages import render

    title = _TITLES.get(status_code, "エラーが発生しました")
    context = {"title": title, "message": message, "status_code": status_code}
    try:
        return render(request, "error.html", context, status_code=status_code, headers=headers)
    except Exception:  # the error page itself must never fail: a plain page instead
        from html import escape

        body = (
            '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラー | 営業グロースAI</title>'
            f"</head><body><main><h1>{escape(title)}</h1><p>{escape(message)}</p>"
            '<p><a href="/">トップへ戻る</a></p></main></body></html>'
        )
        return HTMLResponse(body, status_code=status_code, headers=headers)
