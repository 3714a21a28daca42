"""More requests at once than the database pool has connections: they wait their turn, none is stuck or fails."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio.to_thread
import httpx

from sales_growth.accounts.models import Role, TokenKind
from sales_growth.settings import Settings
from sales_growth.web.admission import pool_capacity
from sales_growth.web.app import create_app
from tests.factories import auth_headers, make_token, make_user

T = TypeVar("T")


def run_apart(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright keeps an event loop running in this one
    for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def test_the_capacity_is_the_pools_size_and_overflow(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"db_pool_size": 3, "db_max_overflow": 2}))
    assert pool_capacity(app.state.engine) == 5
    app.state.engine.dispose()


def test_requests_beyond_the_pool_all_answer(settings: Settings, db_session: object) -> None:
    # One connection and two threads: without admission, the requests holding the connection wait for a thread
    # while both threads wait for the connection, until the pool's 30 s timeout fails them.
    user = make_user(db_session, role=Role.MEMBER)  # type: ignore[arg-type]
    headers = auth_headers(make_token(db_session, user, settings))  # type: ignore[arg-type]
    app = create_app(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0, "embedded_worker": False}))

    async def twenty_at_once() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            with anyio.fail_after(15):
                answers = await asyncio.gather(*(client.get("/api/v1/me", headers=headers) for _ in range(20)))
        return [answer.status_code for answer in answers]

    try:
        assert run_apart(twenty_at_once) == [200] * 20
    finally:
        app.state.engine.dispose()


def test_pages_need_one_connection_each(settings: Settings, db_session: object) -> None:
    # The page's maintenance banner reuses what the gate read: with a cache that never holds, a second read while
    # rendering would wait for a second connection that the single one in use can never free.
    user = make_user(db_session, role=Role.MEMBER)  # type: ignore[arg-type]
    session_value = make_token(db_session, user, settings, kind=TokenKind.SESSION)  # type: ignore[arg-type]
    changes = {"db_pool_size": 1, "db_max_overflow": 0, "embedded_worker": False, "maintenance_cache_seconds": 0}
    app = create_app(settings.model_copy(update=changes))

    async def five_pages() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        cookies = {"sg_session": session_value}
        async with httpx.AsyncClient(transport=transport, base_url="http://test", cookies=cookies) as client:
            with anyio.fail_after(15):
                answers = await asyncio.gather(*(client.get("/home") for _ in range(5)))
        return [answer.status_code for answer in answers]

    try:
        assert run_apart(five_pages) == [200] * 5
    finally:
        app.state.engine.dispose()
