"""``GET /health``: the daily check of the operations manual, without a login."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from sales_growth.settings import Settings
from sales_growth.web.app import create_app


def test_health_is_ok_without_login(api: TestClient) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["checks"]["database"]["latency_ms"] >= 0


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
    assert "Traceback" not in response.text
