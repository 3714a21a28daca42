"""Fixtures of the operations tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from typer.testing import CliRunner

from sales_growth.settings import Settings, get_settings
from tests.analysis.llm_engine.fake_server import FakeLLM, serve
from tests.conftest import REDIS_TEST_URL, skip_or_fail


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


@pytest.fixture
def redis_url() -> str:
    """The test Redis, with the test client's login window reset; skipped (failed in CI) when it is down."""
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
        # The test client's address is the same in every run: start its shared login window afresh.
        client.delete("sales-growth:ratelimit:login-address:testclient")
    except redis.RedisError as exc:
        skip_or_fail(f"Redis not reachable at {REDIS_TEST_URL}: {exc}")
    finally:
        client.close()
    return REDIS_TEST_URL
