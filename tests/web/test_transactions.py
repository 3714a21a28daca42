"""The request owns its transaction, and commits it before its response is sent: a client that acts on a response
at once (a browser following the login form's redirect) finds what the request wrote, and a commit that fails can
never follow a success already sent."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sales_growth.accounts.models import AuthToken, TokenKind
from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.settings import Settings
from tests.factories import DEFAULT_PASSWORD, form_csrf_token, make_user
from tests.personas import make_app


def _probe(app: ASGIApp, path: str, check: Callable[[], int]) -> tuple[ASGIApp, list[int]]:
    """``app``, noting ``check()`` at the moment the response to a POST to ``path`` starts."""
    seen: list[int] = []

    async def probed(scope: Scope, receive: Receive, send: Send) -> None:
        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("method") == "POST" and scope["path"] == path:
                seen.append(check())
            await send(message)

        await app(scope, receive, noting)

    return probed, seen


def test_the_login_session_is_committed_before_the_redirect_is_sent(settings: Settings, db_session: Session) -> None:
    user = make_user(db_session, email="hanako@example.com")
    engine = create_db_engine(settings)  # another connection, as the browser's next request would use

    def sessions_in_the_database() -> int:
        with create_session_factory(engine)() as other:
            query = select(func.count()).where(AuthToken.user_id == user.id, AuthToken.kind == TokenKind.SESSION)
            return other.scalar(query) or 0

    app, seen = _probe(make_app(settings), "/login", sessions_in_the_database)
    try:
        with TestClient(app, follow_redirects=False) as browser:
            token = form_csrf_token(browser.get("/login").text)
            sent = {"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
            assert browser.post("/login", data=sent).status_code == 303
    finally:
        engine.dispose()
    assert seen == [1]
