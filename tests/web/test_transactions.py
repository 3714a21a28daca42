"""The request owns its transaction, and commits it before its response is sent: a client that acts on a response
at once (a browser following the login form's redirect) finds what the request wrote, and a commit that fails can
never follow a success already sent."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio.to_thread
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sales_growth.accounts.models import AuthToken, TokenKind
from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.settings import Settings
from sales_growth.web.deps import SessionDep, SessionRoute
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


# --- a write ends in the endpoint's own thread (web/deps.py::SessionRoute) --------------------------------------

_NOTES = Table("notes", MetaData(), Column("id", Integer, primary_key=True), Column("body", String(50)))


@pytest.fixture
def notes_app(tmp_path: Path) -> Iterator[tuple[FastAPI, Engine, list[tuple[str, int]]]]:
    """An app whose routes write a note through the request's session, and what thread each step ran in."""
    engine = create_engine(f"sqlite:///{tmp_path / 'notes.db'}")
    _NOTES.create(engine)
    steps: list[tuple[str, int]] = []
    event.listen(engine, "before_cursor_execute", lambda *_a: steps.append(("execute", threading.get_ident())))
    event.listen(engine, "commit", lambda _c: steps.append(("commit", threading.get_ident())))
    router = APIRouter(route_class=SessionRoute)

    @router.post("/notes")
    def write(session: SessionDep, fail: bool = False) -> JSONResponse:  # no response model: no hop of its own
        session.execute(insert(_NOTES).values(body="memo"))
        if fail:
            raise RuntimeError("after the write")
        return JSONResponse({"status": "written"})

    app = FastAPI()
    app.state.session_factory = create_session_factory(engine)
    app.include_router(router)
    yield app, engine, steps
    engine.dispose()


def _notes(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(_NOTES)) or 0


def test_a_write_commits_in_the_thread_that_wrote_it(
    notes_app: tuple[FastAPI, Engine, list[tuple[str, int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the endpoint's one hop into the thread pool, not in a second one: under load the wait for that hop kept
    SQLite's write lock."""
    app, engine, steps = notes_app
    hops: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., object], *args: object, **kwargs: object) -> object:
        hops.append(getattr(func, "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)  # type: ignore[arg-type]

    with TestClient(app) as client:
        monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
        assert client.post("/notes").json() == {"status": "written"}
    assert len(hops) == 1, hops
    assert [step for step, _ in steps] == ["execute", "commit"]
    assert steps[0][1] == steps[1][1]
    assert _notes(engine) == 1


def test_an_endpoint_that_fails_after_writing_commits_nothing(
    notes_app: tuple[FastAPI, Engine, list[tuple[str, int]]],
) -> None:
    app, engine, steps = notes_app
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/notes?fail=true").status_code == 500
    assert "commit" not in [step for step, _ in steps]
    assert _notes(engine) == 0


def test_a_commit_that_fails_is_the_response(notes_app: tuple[FastAPI, Engine, list[tuple[str, int]]]) -> None:
    app, engine, _steps = notes_app

    def refuse(_session: Session) -> None:
        raise RuntimeError("the database refused the commit")

    event.listen(app.state.session_factory, "before_commit", refuse)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/notes").status_code == 500
    assert _notes(engine) == 0


def test_every_route_with_a_session_commits_in_its_endpoint(settings: Settings) -> None:
    """A router made without ``route_class=SessionRoute`` would bring back the second hop for its routes."""
    app = make_app(settings)
    plain = [
        route.path
        for route in app.routes
        if isinstance(route, APIRoute)
        and not inspect.iscoroutinefunction(route.endpoint)
        and "session" in inspect.signature(route.endpoint).parameters
        and not getattr(route.endpoint, "_commits_session", False)
    ]
    assert plain == []
