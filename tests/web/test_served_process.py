"""The web process as ``sales-growth serve`` runs it: its collector tuned for latency (docs/performance.md, 26)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from sales_growth.settings import Settings, get_settings
from sales_growth.web import app as web_app


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's collector as it was, whatever the test did to it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_what_was_built_at_start_is_out_of_the_collectors_sight(collector: None) -> None:
    built_at_start = {"stands for": ["the modules", "the app"]}
    gc.unfreeze()
    assert any(o is built_at_start for o in gc.get_objects())
    web_app.tune_garbage_collector()
    assert gc.get_freeze_count() > 0
    assert not any(o is built_at_start for o in gc.get_objects())  # no generation holds it: no pass visits it
    assert gc.get_threshold()[0] == web_app.GC_YOUNG_THRESHOLD > 700
    assert gc.get_threshold()[1:] == (10, 10)  # the older generations keep CPython's defaults


def test_the_served_app_is_built_before_the_collector_is_tuned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    events: list[str] = []
    monkeypatch.setenv("SALES_GROWTH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SALES_GROWTH_DATABASE_URL", raising=False)
    monkeypatch.setattr(web_app, "configure_logging", lambda level: events.append("logging"))
    built = FastAPI()

    def create_app(settings: Settings) -> FastAPI:
        events.append("app")
        return built

    monkeypatch.setattr(web_app, "create_app", create_app)
    monkeypatch.setattr(web_app, "tune_garbage_collector", lambda: events.append("collector"))
    get_settings.cache_clear()
    try:
        assert web_app.create_served_app() is built
    finally:
        get_settings.cache_clear()
    assert events == ["logging", "app", "collector"]
