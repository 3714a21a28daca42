"""Optional OpenTelemetry tracing of requests (FastAPI), queries (SQLAlchemy) and outgoing LLM calls, for the
operations manual's transaction tracing. On only when ``SALES_GROWTH_OTLP_ENDPOINT`` is set.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from sales_growth import __version__
from sales_growth.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

_lock = threading.Lock()
_llm_observers: list[LLMSpans] = []


def tracer_provider(settings: Settings, exporter: SpanExporter | None = None) -> TracerProvider | None:
    """A provider exporting to the configured OTLP endpoint (or to ``exporter``, for tests); None when off."""
    if exporter is None and not settings.otlp_endpoint:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": "sales-growth", "service.version": __version__})
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    return provider


def instrument_app(app: FastAPI, engine: Engine, provider: TracerProvider) -> None:
    """Trace this app's requests and its engine's queries, and every outgoing httpx call of the process."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="/health,/metrics")
    instrument_process(provider, engine)


def instrument_process(provider: TracerProvider, engine: Engine | None = None) -> None:
    """Queries of ``engine`` and the outgoing LLM calls.

    The engine is traced through its own event listeners (``EngineTracer``), not the instrumentor's process-wide
    patches: those also wrap SQLAlchemy's asyncio engine, which this app does not install, and its declared range
    stops below SQLAlchemy 2.1, which it traces all the same (the tests prove it). The LLM SDK sends over its own
    fork of httpx (``httpx2``), which the httpx instrumentor does not patch, so LLM calls become spans through the
    engine's observer callback instead.
    """
    if engine is not None:
        _trace_engine(provider, engine)
    from sales_growth.analysis.llm_engine import observe

    with _lock:
        for previous in _llm_observers:
            observe.remove_observer(previous)
        _llm_observers[:] = [LLMSpans(provider)]
        observe.add_observer(_llm_observers[0])


def _trace_engine(provider: TracerProvider, engine: Engine) -> None:
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope_name
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    usage = get_meter(scope_name).create_up_down_counter("db.client.connections.usage", unit="connections")
    EngineTracer(provider.get_tracer(scope_name), engine, usage)  # type: ignore[no-untyped-call]


class LLMSpans:
    """One CLIENT span per LLM call, under whatever span is current in the calling thread (the request or job)."""

    def __init__(self, provider: TracerProvider) -> None:
        self._tracer = provider.get_tracer("sales_growth.llm")

    def on_call(
        self, *, model: str, seconds: float, outcome: str, prompt_tokens: int = 0, completion_tokens: int = 0
    ) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode

        end = time.time_ns()
        span = self._tracer.start_span(f"chat {model}", kind=SpanKind.CLIENT, start_time=end - int(seconds * 1e9))
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": prompt_tokens,
                "gen_ai.usage.output_tokens": completion_tokens,
                "sales_growth.llm.outcome": outcome,
            }
        )
        if outcome != "ok":
            span.set_status(Status(StatusCode.ERROR, outcome))
        span.end(end_time=end)
