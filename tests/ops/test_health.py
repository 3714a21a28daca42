"""``GET /health``: the daily check of the operations manual, without a login: database, queue, disk, each timed."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from sales_growth.settings import Settings
from sales_growth.web.app import create_app
from tests.processes import free_port


def test_health_is_ok_without_login(api: TestClient) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["down"] == []
    for name in ("database", "queue", "disk"):
        assert body["checks"][name]["status"] == "ok"
        assert body["checks"][name]["latency_ms"] >= 0


def test_health_reports_queue_depth_and_free_disk(api: TestClient) -> None:
    checks = api.get("/health").json()["checks"]
    assert checks["queue"]["depth"] >= 0
    assert checks["disk"]["free_mb"] > 0


def test_health_is_fast(api: TestClient) -> None:
    api.get("/health")
    started = time.perf_counter()
    for _ in range(10):
        api.get("/health")
    assert (time.perf_counter() - started) / 10 < 0.1


def test_health_names_the_database_when_it_is_down(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
        env="test",
        embedded_worker=False,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert response.json()["down"] == ["database"]
    assert "Traceback" not in response.text


def test_health_names_the_queue_when_redis_is_down(settings: Settings) -> None:
    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0", "embedded_worker": False})
    with TestClient(create_app(broken)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["down"] == ["queue"]
    assert response.json()["checks"]["queue"]["error"] == "ConnectionError"


def test_health_names_the_disk_when_free_space_is_short(settings: Settings) -> None:
    short = settings.model_copy(update={"health_min_free_disk_mb": 10**12, "embedded_worker": False})
    with TestClient(create_app(short)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["down"] == ["disk"]
