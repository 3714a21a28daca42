"""Fixtures of the operations tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from sales_growth.settings import Settings, get_settings
from tests.analysis.llm_engine.fake_server import FakeLLM, serve


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose commands see the test's database through the environment, as in real use."""
    monkeypatch.setenv("SALES_GROWTH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SALES_GROWTH_SECRET_KEY", "test-secret-key")
    if settings.database_url:
        monkeypatch.setenv("SALES_GROWTH_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("SALES_GROWTH_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """An OpenAI-compatible server on loopback (the one the LLM engine's own tests use)."""
    yield from serve()
