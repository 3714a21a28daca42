"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sales_growth import __version__
from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.errors import DomainError, PermissionDeniedError
from sales_growth.ops import metrics, tracing
from sales_growth.ops.cache import make_cache
from sales_growth.ops.logs import configure_logging
from sales_growth.ops.maintenance import StatusCache
from sales_growth.settings import Settings, get_settings
from sales_growth.web.templating import STATIC_DIR

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

_HTTP_MESSAGES_JA = {
    401: "ログインが必要です。",
    403: "この操作を行う権限がありません。",
    404: "見つかりません。",
    405: "この操作はサポートされていません。",
    413: "リクエストが大きすぎます。",
    429: "リクエストが多すぎます。しばらく待ってから再度お試しください。",
}


def create_served_app() -> FastAPI:
    """The app as ``sales-growth serve`` runs it in each of its web processes: the process's logging first.

    With ``--workers N`` uvicorn starts N fresh interpreters that call this factory; the logging ``serve``
    configured in its own process does not reach them (their lines were structlog's default console format,
    without the redaction of :mod:`ops.logs`).
    """
    settings = get_settings()
    configure_logging(level=settings.log_level)
    app = create_app(settings)
    tune_garbage_collector()
    return app


# Containers allocated between two collections of the youngest generation (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Keep the cyclic collector's full passes out of the requests' latency (docs/performance.md, tuning 26).

    With CPython's defaults a web process under load ran a full collection every 2–4 s, each holding the
    interpreter for 100–200 ms over its 300,000 objects, so every request in flight stalled together. What was
    built at start (modules, routes, templates, the app) is moved out of the collector's sight (``gc.freeze``),
    and the youngest generation is collected after 10,000 allocations instead of 700, so that a request's objects
    are mostly gone before a collection and fewer of them are promoted to the old generations only to die there.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def create_app(settings: Settings | None = None, *, span_exporter: SpanExporter | None = None) -> FastAPI:
    """Build the app for ``settings`` (the process settings by default). The schema must already be migrated.

    Traces go to ``SALES_GROWTH_OTLP_ENDPOINT`` when it is set, or to ``span_exporter`` (tests).
    """
    settings = settings or get_settings()
    app = FastAPI(title="営業グロースAI", version=__version__, docs_url="/docs", redoc_url=None, lifespan=_lifespan)
    app.state.settings = settings
    app.state.engine = create_db_engine(settings)
    app.state.cache = make_cache(settings.redis_url, settings.data_dir)
    app.state.session_factory = create_session_factory(app.state.engine, app.state.cache)
    metrics.install()
    metrics.watch_engine(app.state.engine)
    app.state.maintenance = StatusCache(app.state.session_factory, ttl_seconds=settings.maintenance_cache_seconds)
    _add_error_handlers(app)
    _document_error_shape(app)
    _include_routers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_middleware(app)
    provider = tracing.tracer_provider(settings, span_exporter)
    if provider is not None:
        tracing.instrument_app(app, app.state.engine, provider)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Connect the job queue; with the embedded worker, recover this host's orphaned analyses and consume."""
    from sales_growth import jobs
    from sales_growth.one_on_ones import analyses

    settings: Settings = app.state.settings
    jobs.configure(settings)
    consumer = None
    if settings.embedded_worker:
        analyses.recover_orphans(app.state.session_factory, settings)
        consumer = jobs.start_embedded_consumer(workers=settings.embedded_workers)
    try:
        yield
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        app.state.engine.dispose()


def _add_middleware(app: FastAPI) -> None:
    """Outermost last: the request context wraps everything, so every log line and audit event carries it."""
    from sales_growth.ops.context import RequestContextMiddleware
    from sales_growth.ops.gate import MaintenanceMiddleware
    from sales_growth.ops.security import CSRFMiddleware, SecurityHeadersMiddleware
    from sales_growth.web.admission import AdmissionMiddleware, pool_capacity
    from sales_growth.web.pagecache import EarlyHitMiddleware, PageCacheMiddleware

    app.add_middleware(PageCacheMiddleware)
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(MaintenanceMiddleware)
    app.add_middleware(AdmissionMiddleware, capacity=pool_capacity(app.state.engine))
    app.add_middleware(EarlyHitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)


def _include_routers(app: FastAPI) -> None:
    from sales_growth.accounts.api import router as accounts_router
    from sales_growth.accounts.pages import router as accounts_pages_router
    from sales_growth.coaching.api import router as coaching_router
    from sales_growth.coaching.pages import router as coaching_pages_router
    from sales_growth.feedback.api import router as feedback_router
    from sales_growth.feedback.pages import router as feedback_pages_router
    from sales_growth.one_on_ones.api import router as one_on_ones_router
    from sales_growth.one_on_ones.pages import router as one_on_ones_pages_router
    from sales_growth.ops.api import router as ops_router
    from sales_growth.ops.audit_api import router as audit_router
    from sales_growth.ops.pages import router as ops_pages_router

    # The pages first: most requests are page views, and routing tries the routes in order (the pages' paths and
    # the API's never overlap: the API is under /api/v1, besides /health and /metrics).
    app.include_router(accounts_pages_router)
    app.include_router(one_on_ones_pages_router)
    app.include_router(coaching_pages_router)
    app.include_router(feedback_pages_router)
    app.include_router(ops_pages_router)
    app.include_router(ops_router)
    app.include_router(audit_router)
    app.include_router(accounts_router)
    app.include_router(one_on_ones_router)
    app.include_router(coaching_router)
    app.include_router(feedback_router)


# The body every error has (see _error_body); the schema FastAPI would document for 422 describes its own shape,
# which this app never sends.
ERROR_BODY_SCHEMA: dict[str, object] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        },
        "detail": {"type": "string"},
    },
}


def _document_error_shape(app: FastAPI) -> None:
    """Make /openapi.json describe the error body the app really sends for 422."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components: dict[str, dict[str, object]] = schema.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_BODY_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}, "detail": message}


async def _audit_denial(request: Request, exc: PermissionDeniedError) -> None:
    """Every 403 goes to the audit log, in its own transaction (the refused request's one rolls back)."""
    from starlette.concurrency import run_in_threadpool

    from sales_growth.ops.audit import record_denial

    await run_in_threadpool(
        record_denial,
        request.app.state.session_factory,
        actor_id=getattr(request.state, "user_id", None),
        method=request.method,
        path=request.url.path,
        reason=exc.message,
    )


def _add_error_handlers(app: FastAPI) -> None:
    """JSON for the API; for browser routes a Japanese page (401 redirects to the login page), see web.errors."""
    from sales_growth.web.errors import error_page, is_page_request, login_redirect

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, PermissionDeniedError):
            await _audit_denial(request, exc)
        if is_page_request(request):
            if exc.status_code == 401:
                return login_redirect(request)
            return error_page(request, exc.status_code, exc.message, headers=_page_headers(exc.headers))
        return JSONResponse(_error_body(exc.code, exc.message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_page_request(request):
            return error_page(request, 422, "入力内容に誤りがあります。入力を確かめて、もう一度お試しください。")
        fields = [
            {"field": ".".join(str(p) for p in err.get("loc", ())[1:]), "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        body = _error_body("invalid_input", "入力内容に誤りがあります。", fields=fields)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, _exc: Exception) -> Response:
        # A number beyond what the database can hold (PostgreSQL bigint, SQLite INTEGER): bad input, never a 500.
        # On a page it can only be an id in the address, which names nothing.
        if is_page_request(request):
            return error_page(request, 404, _HTTP_MESSAGES_JA[404])
        body = _error_body("invalid_input", "数値が大きすぎるなど、範囲外の値が指定されています。")
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = _HTTP_MESSAGES_JA.get(exc.status_code, str(exc.detail))
        if is_page_request(request):
            return error_page(request, exc.status_code, message, headers=getattr(exc, "headers", None))
        return JSONResponse(
            _error_body(f"http_{exc.status_code}", message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        message = "サーバーで問題が発生しました。時間をおいて再度お試しください。"
        # This handler runs outside the app's middleware: give the id that the log lines carry back by hand.
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        headers = {"X-Request-ID": request_id} if request_id else None
        if is_page_request(request):
            return error_page(request, 500, message, headers=headers)
        return JSONResponse(_error_body("internal_error", message), status_code=500, headers=headers)


def _page_headers(headers: dict[str, str]) -> dict[str, str] | None:
    # WWW-Authenticate belongs to the API; a page keeps only headers a browser acts on (Retry-After).
    kept = {name: value for name, value in headers.items() if name.lower() != "www-authenticate"}
    return kept or None
