"""Request-scoped plumbing shared by every domain's routes: settings and the database session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sales_growth.db import commit
from sales_growth.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request. The request owns the transaction: commit on success, roll back on error.

    Its ``scope="function"`` (below) commits before the response is sent, not after: a client that acts on the
    response at once (a browser following the login's redirect) must find what was written, and a commit that
    fails must become the error response, never follow a success already sent.
    """
    with request.app.state.session_factory() as session:
        try:
            yield session
            commit(session)
        except BaseException:
            session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
