"""Prometheus metrics, served at ``GET /metrics``; the names are those the alert rules and the dashboard read.

Every process counts its own: web processes their requests, whoever runs analyses (the embedded worker of
``serve``, or ``sales-growth worker --metrics-port``) their outcomes and LLM calls. The process collector of
``prometheus-client`` adds ``process_cpu_seconds_total`` and ``process_resident_memory_bytes``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter(
    "http_requests", "HTTP responses by route template, method and status", ["route", "method", "status"]
)
IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests being served")
ANALYSES = Counter("analyses", "Analysis runs finished, by outcome", ["status"])
ANALYSIS_DURATION = Histogram(
    "analysis_duration_seconds",
    "Time the engine took for one analysis run",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
LLM_REQUESTS = Counter("llm_requests", "LLM API calls, by outcome", ["outcome"])
LLM_DURATION = Histogram(
    "llm_request_duration_seconds",
    "LLM API call latency",
    buckets=(0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0),
)
LLM_TOKENS = Counter("llm_tokens", "LLM tokens used, by kind", ["kind"])
LOGINS = Counter("logins", "Login attempts, by outcome (ok, failed, locked)", ["outcome"])
PAGE_CACHE = Counter(
    "page_cache",
    "Signed-in GET requests by what the page cache did (hit, stored, missed), by route",
    ["result", "route"],
)

UNMATCHED_ROUTE = "unmatched"  # requests that matched no route: one label, not one per probed URL


# --- requests --------------------------------------------------------------------------------------------------


class MetricsMiddleware:
    """Duration, status and in-flight count of every HTTP request, labelled by route template (not raw path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def send_and_see(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_and_see)
        finally:
            IN_FLIGHT.dec()
            route = route_template(scope, status[0])
            REQUEST_DURATION.labels(route, scope["method"]).observe(time.perf_counter() - started)
            REQUESTS.labels(route, scope["method"], str(status[0])).inc()


def route_template(scope: Scope, status: int = 500) -> str:
    """The route's path template; for the few plain routes that leave none behind (``/openapi.json``, ``/docs``)
    the path itself when they answered, and one shared label for everything else."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    return str(scope["path"]) if status < 400 else UNMATCHED_ROUTE


# --- analyses, LLM calls and logins ----------------------------------------------------------------------------


def observe_analysis(status: str, seconds: float | None = None) -> None:
    """One finished analysis run: ``succeeded``, ``failed`` or ``retried``."""
    ANALYSES.labels(status).inc()
    if seconds is not None:
        ANALYSIS_DURATION.observe(seconds)


class LLMMetrics:
    """The LLM engine's observer (:class:`sales_growth.analysis.llm_engine.observe.LLMObserver`)."""

    def on_call(
        self, *, model: str, seconds: float, outcome: str, prompt_tokens: int = 0, completion_tokens: int = 0
    ) -> None:
        LLM_REQUESTS.labels(outcome).inc()
        LLM_DURATION.observe(seconds)
        if prompt_tokens:
            LLM_TOKENS.labels("prompt").inc(prompt_tokens)
        if completion_tokens:
            LLM_TOKENS.labels("completion").inc(completion_tokens)


def observe_login(action: str, reason: object = None) -> None:
    """Called for each login audit event: ``ok``, ``failed``, or ``locked`` (refused because locked)."""
    if action == "login_succeeded":
        LOGINS.labels("ok").inc()
    elif action == "login_failed":
        LOGINS.labels("locked" if reason == "locked" else "failed").inc()


_installed = threading.Lock()
_done: list[bool] = []


def install() -> None:
    """Hook the metrics into the pure libraries (the LLM engine's observer) and the collectors; once a process."""
    from sales_growth.analysis.llm_engine import observe

    with _installed:
        if _done:
            return
        observe.add_observer(LLMMetrics())
        REGISTRY.register(_StateCollector())
        _done.append(True)


# --- database pool and queue, read at scrape time --------------------------------------------------------------

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def watch_engine(engine: Engine) -> None:
    """Report this engine's pool in ``db_pool_connections_in_use`` / ``db_pool_connections_max``."""
    _engines.add(engine)


class _StateCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        in_use = GaugeMetricFamily("db_pool_connections_in_use", "Database connections checked out of the pool")
        limit = GaugeMetricFamily("db_pool_connections_max", "Most connections the pool will open")
        used, most = _pool_use()
        in_use.add_metric([], used)
        limit.add_metric([], most)
        yield in_use
        yield limit
        depth = _queue_depth()
        if depth is not None:
            queue = GaugeMetricFamily("analysis_queue_depth", "Jobs waiting in the queue (pending and scheduled)")
            queue.add_metric([], depth)
            yield queue


def _pool_use() -> tuple[float, float]:
    used = most = 0.0
    for engine in list(_engines):
        pool: Any = engine.pool
        # QueuePool (PostgreSQL, SQLite files) has a size and an overflow; other pools have no fixed limit.
        if callable(getattr(pool, "checkedout", None)) and callable(getattr(pool, "size", None)):
            used += pool.checkedout()
            most += pool.size() + max(getattr(pool, "_max_overflow", 0), 0)
    return used, most


def _queue_depth() -> float | None:
    from sales_growth.jobs import huey

    try:
        return float(huey.pending_count() + huey.scheduled_count())
    except Exception:  # an unreachable queue is reported by /health; the scrape goes on without the gauge
        logger.warning("could not read the queue depth", exc_info=True)
        return None


def render(registry: CollectorRegistry = REGISTRY) -> bytes:
    return generate_latest(registry)


# --- the status page's view of this process's requests ---------------------------------------------------------

# Probes and static files say nothing of how the application answers its users.
SUMMARY_EXCLUDED_ROUTES = frozenset({"/health", "/metrics", "/static", UNMATCHED_ROUTE})


def request_summary() -> dict[str, float | int | None]:
    """Since this process started: requests timed and their mean duration in ms, responses and server errors
    (5xx) and the share of errors.

    Read from this process's own counters, so with several web processes each reports its own share; Prometheus
    (``http_request_duration_seconds``) has the whole picture.
    """
    seconds = count = 0.0
    for metric in REQUEST_DURATION.collect():
        for sample in metric.samples:
            if sample.labels.get("route") in SUMMARY_EXCLUDED_ROUTES:
                continue
            if sample.name.endswith("_sum"):
                seconds += sample.value
            elif sample.name.endswith("_count"):
                count += sample.value
    total = errors = 0.0
    for metric in REQUESTS.collect():
        for sample in metric.samples:
            if not sample.name.endswith("_total") or sample.labels.get("route") in SUMMARY_EXCLUDED_ROUTES:
                continue
            total += sample.value
            if sample.labels.get("status", "").startswith("5"):
                errors += sample.value
    return {
        "requests": int(count),
        "mean_ms": round(seconds / count * 1000, 1) if count else None,
        "responses": int(total),
        "errors": int(errors),
        "error_rate": round(errors / total, 4) if total else None,
    }
