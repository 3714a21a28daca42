"""``GET /metrics``: the series the alert rules and the dashboard read, with the values a user's actions cause."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from sales_growth.analysis.engine import get_local_analyzer
from sales_growth.analysis.llm_engine import LLMAnalyzer, LLMConfig
from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.one_on_ones import analyses
from sales_growth.settings import Settings
from tests.analysis.llm_engine.fake_server import FakeLLM, completion, error
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.personas import Personas
from tests.processes import CLI, app_env, free_port, running

TEXT = "上司: 今日はどうだった？\n部下: 予算のこと聞くの忘れてました。\n上司: 次は最初に確認しよう。"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_served_in_prometheus_text_format(api: TestClient) -> None:
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "http_requests_in_flight"):
        assert re.search(rf"^{name} ", response.text, flags=re.MULTILINE), name


def test_requests_are_counted_by_route_template_method_and_status(api: TestClient, personas: Personas) -> None:
    route = "/api/v1/users/{user_id}"
    before = _value("http_requests_total", route=route, method="GET", status="200")
    for name in ("A1", "A2"):
        api.get(f"/api/v1/users/{personas.id(name)}", headers=personas.headers["admin"])
    text = api.get("/metrics").text
    assert _value("http_requests_total", route=route, method="GET", status="200") == before + 2
    assert f'http_request_duration_seconds_bucket{{le="0.1",method="GET",route="{route}"}}' in text
    assert f"/api/v1/users/{personas.id('A1')}" not in text  # raw paths would explode the label set


def test_unmatched_paths_share_one_label(api: TestClient) -> None:
    before = _value("http_requests_total", route="unmatched", method="GET", status="404")
    api.get("/wp-login.php")
    api.get("/.env")
    assert _value("http_requests_total", route="unmatched", method="GET", status="404") == before + 2


def test_the_pool_and_the_queue_are_reported(api: TestClient) -> None:
    text = api.get("/metrics").text
    in_use = float(re.search(r"^db_pool_connections_in_use (\S+)", text, flags=re.MULTILINE).group(1))  # type: ignore[union-attr]
    most = float(re.search(r"^db_pool_connections_max (\S+)", text, flags=re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert 0 <= in_use <= most
    assert most > 0
    assert re.search(r"^analysis_queue_depth \d", text, flags=re.MULTILINE)


def test_logins_are_counted_ok_failed_and_locked(api: TestClient, db_session: Session) -> None:
    user = make_user(db_session)
    before = {outcome: _value("logins_total", outcome=outcome) for outcome in ("ok", "failed", "locked")}
    api.post("/api/v1/auth/token", json={"email": user.email, "password": DEFAULT_PASSWORD})
    for _ in range(6):
        api.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong-password"})
    after = {outcome: _value("logins_total", outcome=outcome) for outcome in ("ok", "failed", "locked")}
    assert after["ok"] - before["ok"] == 1
    assert after["failed"] - before["failed"] == 5
    assert after["locked"] - before["locked"] == 1


def test_finished_analyses_are_counted_with_their_duration(
    api: TestClient, personas: Personas, settings: Settings
) -> None:
    body = {"member_id": personas.id("A1"), "held_on": "2026-11-02", "content": TEXT}
    created = api.post("/api/v1/one-on-ones", json=body, headers=personas.headers["M1"]).json()
    before = _value("analyses_total", status="succeeded")
    count_before = _value("analysis_duration_seconds_count")
    engine = create_db_engine(settings)
    try:
        analyses.run(create_session_factory(engine), settings, created["analysis"]["id"])
    finally:
        engine.dispose()
    assert _value("analyses_total", status="succeeded") == before + 1
    assert _value("analysis_duration_seconds_count") == count_before + 1


def test_llm_calls_are_counted_with_latency_tokens_and_errors(api: TestClient, fake_llm: FakeLLM) -> None:
    api.get("/metrics")  # the app installed the LLM observer
    fake_llm.script = [completion("{}", prompt_tokens=300, completion_tokens=50)]
    ok_before = _value("llm_requests_total", outcome="ok")
    prompt_before = _value("llm_tokens_total", kind="prompt")
    errors_before = _value("llm_requests_total", outcome="http_500")
    analyzer = LLMAnalyzer(
        LLMConfig(base_url=fake_llm.base_url, model="test-model", max_retries=0), fallback=get_local_analyzer()
    )
    analyzer.analyze(TEXT, session_date=date(2026, 11, 2))  # "{}" is invalid: one repair, then the fallback
    assert _value("llm_requests_total", outcome="ok") == ok_before + 2
    assert _value("llm_tokens_total", kind="prompt") == prompt_before + 600
    fake_llm.script = [error(500)]
    analyzer.analyze(TEXT, session_date=date(2026, 11, 2))
    assert _value("llm_requests_total", outcome="http_500") == errors_before + 1
    assert _value("llm_request_duration_seconds_count") >= 3


@pytest.mark.slow
def test_a_worker_serves_its_metrics_on_the_metrics_port(tmp_path: Path) -> None:
    port = free_port()
    with running([*CLI, "worker", "--metrics-port", str(port)], app_env(tmp_path), tmp_path / "worker.log"):
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
                time.sleep(0.2)
    assert response.status_code == 200
    assert "analysis_queue_depth" in response.text
    assert "process_resident_memory_bytes" in response.text
