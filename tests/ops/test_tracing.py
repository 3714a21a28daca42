"""Optional OpenTelemetry tracing: requests, queries and outgoing LLM calls, seen through the SDK's in-memory
exporter."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sales_growth.analysis.engine import get_local_analyzer
from sales_growth.analysis.llm_engine import LLMAnalyzer, LLMConfig
from sales_growth.ops import tracing
from sales_growth.settings import Settings
from sales_growth.web.app import create_app
from tests.analysis.llm_engine.fake_server import FakeLLM, completion
from tests.personas import Personas


def test_tracing_is_off_without_an_endpoint(settings: Settings) -> None:
    assert settings.otlp_endpoint is None
    assert tracing.tracer_provider(settings) is None


def test_requests_queries_and_llm_calls_are_traced(settings: Settings, personas: Personas, fake_llm: FakeLLM) -> None:
    exporter = InMemorySpanExporter()
    app = create_app(settings.model_copy(update={"embedded_worker": False}), span_exporter=exporter)
    with TestClient(app) as client:
        assert client.get("/api/v1/users", headers=personas.headers["admin"]).status_code == 200
    fake_llm.script = [completion("{}")]
    analyzer = LLMAnalyzer(
        LLMConfig(base_url=fake_llm.base_url, model="m", max_retries=0), fallback=get_local_analyzer()
    )
    analyzer.analyze("上司: どうだった？\n部下: 予算を聞き忘れました。", session_date=date(2026, 11, 2))
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]
    assert "GET /api/v1/users" in names
    assert any(
        (span.attributes and "db.system" in span.attributes) or "db.system.name" in (span.attributes or {})
        for span in spans
    )
    outgoing = [span for span in spans if span.name == "chat m" and span.kind.name == "CLIENT"]
    assert len(outgoing) == 2, names  # the answer and its repair
    assert outgoing[0].attributes["gen_ai.usage.input_tokens"] == 120  # type: ignore[index]
    assert outgoing[0].end_time - outgoing[0].start_time > 0  # type: ignore[operator]
    assert {span.resource.attributes["service.name"] for span in spans} == {"sales-growth"}
