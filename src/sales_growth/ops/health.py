"""The checks behind ``GET /health``: database, queue and free disk space in the data folder, each timed.

Each check is short and bounded (a ``SELECT 1``, a queue length, one ``statvfs``): load balancers and the daily
check of the operations manual call it often, without a login.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from sales_growth.settings import Settings


@dataclass
class Check:
    status: str  # "ok" or "down"
    latency_ms: float
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "latency_ms": self.latency_ms, **self.detail}


def _timed(probe: Callable[[], dict[str, Any]]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        status = "down" if detail.pop("down", False) else "ok"
    except Exception as exc:  # any failure to reach a dependency means it is down; the name of the error says why
        detail, status = {"error": type(exc).__name__}, "down"
    return Check(status=status, latency_ms=round((time.perf_counter() - started) * 1000, 2), detail=detail)


def check_database(engine: Engine) -> Check:
    def probe() -> dict[str, Any]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {}

    return _timed(probe)


def check_queue() -> Check:
    """The job queue's storage answers (SQLite file or Redis); its depth is the jobs waiting in it."""
    from sales_growth.jobs import huey

    return _timed(lambda: {"depth": huey.pending_count() + huey.scheduled_count()})


def check_disk(settings: Settings) -> Check:
    def probe() -> dict[str, Any]:
        usage = shutil.disk_usage(settings.data_dir)
        free_mb = usage.free // 1_000_000
        return {
            "free_mb": free_mb,
            "min_free_mb": settings.health_min_free_disk_mb,
            "down": free_mb < settings.health_min_free_disk_mb,
        }

    return _timed(probe)


def run_checks(engine: Engine, settings: Settings) -> dict[str, Check]:
    return {"database": check_database(engine), "queue": check_queue(), "disk": check_disk(settings)}
