"""Request-scoped plumbing shared by every domain's routes: settings and the database session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request
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
    session: Session = request.app.state.session_factory()
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
