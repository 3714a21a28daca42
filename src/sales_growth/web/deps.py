"""Request-scoped plumbing shared by every domain's routes: settings and the database session."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sales_growth.db import commit
from sales_growth.settings import Settings


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request. The request owns the transaction: commit on success, roll back on error.

    Its ``scope="function"`` (below) commits before the response is sent, not after: a client that acts on the
    response at once (a browser following the login's redirect) must find what was written, and a commit that
    fails must become the error response, never follow a success already sent.

    ``async`` so that opening the session (no I/O) costs no hop into the thread pool; the commit or rollback,
    which talks to the database, takes one, shielded from the request's cancellation so that the connection
    always goes back to the pool.
    """
    session: Session = request.app.state.session_factory()  # a SessionRoute's endpoint commits it (below)
    try:
        yield session
        with anyio.CancelScope(shield=True):
            await _in_thread_if_connected(session, commit)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _in_thread_if_connected(session, Session.rollback)
        raise
    finally:
        session.close()  # after the commit or rollback: touches no connection


async def _in_thread_if_connected(session: Session, end: Callable[[Session], None]) -> None:
    """``end(session)`` in a thread when the session has a transaction (a session that read or wrote nothing has
    none: nothing to end)."""
    if session.in_transaction():
        await run_in_threadpool(end, session)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class SessionRoute(APIRoute):
    """A route whose sync endpoint ends the request's transaction in its own thread, as it returns.

    Otherwise the commit waits for the endpoint's return to reach the event loop and for a thread of the pool again
    (``get_session``'s end): under load tens of milliseconds in which a write keeps SQLite's one write lock, every
    other writer waiting for it, and one more hop into the thread pool for every request. An endpoint that raises
    commits nothing (``get_session`` rolls back); a commit that fails raises from the endpoint and becomes the
    error response, as before. What runs after the endpoint (a response model's validation) reads in a transaction
    of its own, which ``get_session`` ends.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _committing(endpoint), **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint``, committing its ``session`` argument when it returns (sync endpoints with a session only)."""
    if (
        getattr(endpoint, "_commits_session", False)  # a router included in another: wrapped once already
        or inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or "session" not in inspect.signature(endpoint).parameters
    ):
        return endpoint

    @functools.wraps(endpoint)  # FastAPI reads the parameters and their annotations through __wrapped__
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        commit(kwargs["session"])
        return result

    run._commits_session = True  # type: ignore[attr-defined]
    return run
