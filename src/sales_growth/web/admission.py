"""Admission: no more requests at once in the app than its database pool has connections.

A request's session holds its connection from its first query to its commit, across several hops into the
thread pool (each sync dependency and the route run in a thread of their own). With more requests in flight than
the pool has connections, every thread can end up waiting for a connection while the requests holding them wait
for a thread: nothing moves until the pool's timeout fails them all (seen at 100 simulated users). Requests wait
here instead, on the event loop, where waiting takes no thread; static files pass without waiting.
"""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send


def pool_capacity(engine: Engine) -> int | None:
    """The most connections the engine's pool opens, or None when it sets no limit."""
    pool: Any = engine.pool
    if not (callable(getattr(pool, "size", None)) and hasattr(pool, "_max_overflow")):
        return None
    overflow = int(pool._max_overflow)
    return None if overflow < 0 else int(pool.size()) + overflow


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, *, capacity: int | None) -> None:
        self.app = app
        self.gate = anyio.Semaphore(capacity) if capacity else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.gate is None or scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        async with self.gate:
            await self.app(scope, receive, send)
