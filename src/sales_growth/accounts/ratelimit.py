"""Per-key sliding-window rate limits: login attempts per address and per account, expensive endpoints per user.

In memory per process by default; in Redis when ``SALES_GROWTH_REDIS_URL`` is set, so that every web process
counts against the same window. Times are wall-clock seconds (``time.time()``): processes must agree on them.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Protocol

from sales_growth.errors import RateLimitedError

if TYPE_CHECKING:
    from redis import Redis


class RateLimiter(Protocol):
    def hit(self, key: str, now: float) -> float | None:
        """Count one attempt for ``key`` at ``now`` (seconds); the seconds to wait when over the limit, else None."""
        ...


class InMemoryRateLimiter:
    """A sliding window of attempt times per key, held in this process."""

    def __init__(self, *, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> float | None:
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1.0, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            if len(self._hits) > 100_000:  # keys of long-gone clients must not grow without bound
                self._forget_idle(now)
            return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]


# One sorted set per key, scored by attempt time; the check and the count are one atomic script, so parallel
# requests in different processes cannot both take the last slot.
_SLIDING_WINDOW = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return false
"""


class RedisRateLimiter:
    """The same sliding window, shared by every process through Redis."""

    def __init__(self, client: Redis, *, name: str, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._client = client
        self._prefix = f"sales-growth:ratelimit:{name}:"
        self._script = client.register_script(_SLIDING_WINDOW)

    def hit(self, key: str, now: float) -> float | None:
        wait = self._script(keys=[self._prefix + key], args=[now, self.window, self.limit, uuid.uuid4().hex])
        if wait is None:
            return None
        return max(1.0, math.ceil(float(wait)))


def make_limiter(redis_url: str | None, *, name: str, limit: int, window_seconds: float) -> RateLimiter:
    """A Redis limiter when ``redis_url`` is set, else an in-memory one."""
    if redis_url:
        from redis import Redis

        return RedisRateLimiter(Redis.from_url(redis_url), name=name, limit=limit, window_seconds=window_seconds)
    return InMemoryRateLimiter(limit=limit, window_seconds=window_seconds)


def enforce(limiter: RateLimiter, key: str, message: str) -> None:
    """Count one attempt; 429 with ``Retry-After`` when over the limit."""
    retry_after = limiter.hit(key, time.time())
    if retry_after is not None:
        raise RateLimitedError(message, headers={"Retry-After": str(int(retry_after))})
