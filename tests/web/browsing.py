"""Page tests as a logged-in browser would make them: session cookies, CSRF tokens, analyses run on demand,
and a count of the SQL statements each page costs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sales_growth.accounts.deps import SESSION_COOKIE
from sales_growth.accounts.models import TokenKind, User
from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.one_on_ones import analyses
from sales_growth.one_on_ones.models import Analysis
from sales_growth.ops.security import session_token
from sales_growth.settings import Settings
from tests.factories import make_token
from tests.personas import Personas, make_app

SECRET = "test-secret-key"
RECORD = (
    "課長：今日は青葉電機さんの件を聞かせて。\n"
    "新人：はい。提案は聞いていただけたんですが、予算の確認を忘れてしまいました。決裁者も分かっていません。\n"
    "課長：次の訪問では必ず予算と決裁者を聞こう。資料の準備はよくできていたよ。\n"
    "新人：ありがとうございます。\n"
)


@dataclass
class Browser:
    """A TestClient logged in as one user through a real session token."""

    client: TestClient
    user: User

    @property
    def csrf(self) -> str:
        return session_token(SECRET, self.client.cookies.get(SESSION_COOKIE) or "")

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Response:
        """A form post with the page's CSRF token, as the browser sends it."""
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@dataclass
class Site:
    """The app under test and a browser per persona, made on first use."""

    app: FastAPI
    session: Session
    settings: Settings
    personas: Personas
    browsers: dict[str, Browser] = field(default_factory=dict)

    def as_(self, name: str) -> Browser:
        if name not in self.browsers:
            user = self.personas.users[name]
            client = TestClient(self.app, follow_redirects=False)
            client.cookies.set(SESSION_COOKIE, make_token(self.session, user, self.settings, kind=TokenKind.SESSION))
            self.browsers[name] = Browser(client, user)
        return self.browsers[name]

    def record(self, author: str, member: str, content: str = RECORD, held_on: str = "2026-11-26") -> int:
        """A record made through the form 「1on1を記録」; returns its id (from the redirect to its page)."""
        data = {"member_id": str(self.personas.id(member)), "held_on": held_on, "content": content}
        response = self.as_(author).post("/one-on-ones/new", data=data)
        assert response.status_code == 303, response.text
        return int(response.headers["location"].rsplit("/", 1)[1])

    def analyse(self, record_id: int) -> None:
        """Run the record's queued analysis now, as the worker would."""
        self.session.expire_all()
        analysis_id = self.session.scalar(
            select(Analysis.id).where(Analysis.one_on_one_id == record_id).order_by(Analysis.id.desc())
        )
        assert analysis_id is not None
        engine = create_db_engine(self.settings)
        try:
            # As the worker does: with the process's cache, so that the pages showing the record are refreshed.
            analyses.run(create_session_factory(engine, self.app.state.cache), self.settings, analysis_id)
        finally:
            engine.dispose()

    def analysed_record(self, author: str = "M1", member: str = "A1", **kwargs: Any) -> int:
        record_id = self.record(author, member, **kwargs)
        self.analyse(record_id)
        return record_id


@contextmanager
def counted_queries(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)


def assert_no_inline_code(html: str) -> None:
    """What the strict CSP would block: inline scripts, style elements, style attributes, inline handlers."""
    assert not _INLINE_SCRIPT.search(html), "inline <script>"
    assert "<style" not in html.lower(), "<style> element"
    assert not re.search(r"\sstyle=", html, re.IGNORECASE), "style= attribute"
    assert not re.search(r"\son[a-z]+=", html, re.IGNORECASE), "inline event handler"


@contextmanager
def browsing(app: FastAPI, session: Session, settings: Settings, personas: Personas) -> Iterator[Site]:
    """``app`` with its lifespan running and the personas ready to browse it; their browsers closed after."""
    with TestClient(app):
        made = Site(app, session, settings, personas)
        try:
            yield made
        finally:
            for browser in made.browsers.values():
                browser.client.close()


@pytest.fixture
def site(settings: Settings, db_session: Session, personas: Personas) -> Iterator[Site]:
    """The app (its lifespan running, no embedded worker) with the personas, ready to browse.

    The maintenance status is read once per app (as in ``tests/perf``): its periodic re-read would otherwise land
    in a page's statement count whenever a slow run lets its 2-second copy expire between two requests."""
    settings = settings.model_copy(update={"maintenance_cache_seconds": 3600.0})
    with browsing(make_app(settings), db_session, settings, personas) as made:
        yield made
