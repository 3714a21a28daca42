"""Per-key sliding-window rate limits (login attempts per client address).

In-process by default; a shared implementation (Redis) can replace it behind the same :class:`RateLimiter`.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Protocol


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
            return None
