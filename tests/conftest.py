"""Shared test fixtures.

Database tests run on SQLite and on PostgreSQL: the ``settings`` fixture is parametrised over both.
PostgreSQL comes from ``SALES_GROWTH_TEST_POSTGRES_URL`` (default: the local server, trust auth); a fresh
database is created for the run and dropped after it. Without a reachable server the PostgreSQL cases skip
with the reason, unless ``SALES_GROWTH_REQUIRE_SERVICES=1`` (CI), where they fail instead.
Each test starts from empty tables: the schema is migrated once per backend, rows are deleted after each test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sales_growth import models  # noqa: F401  (registers all tables)
from sales_growth.db import Base, create_db_engine, create_session_factory, upgrade_schema
from sales_growth.settings import Settings, get_settings
from tests.personas import api, personas  # noqa: F401  (fixtures for access tests)
from tests.web.browsing import site  # noqa: F401  (the fixture of page tests)

POSTGRES_ADMIN_URL = os.environ.get(
    "SALES_GROWTH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("SALES_GROWTH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("SALES_GROWTH_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs an absent service, or fail it where the services are required (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (SALES_GROWTH_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means no server here
        admin.dispose()
        skip_or_fail(f"PostgreSQL not reachable at {make_url(POSTGRES_ADMIN_URL).render_as_string()}: {exc}")
    name = f"sales_growth_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_schema(Settings(database_url=url, env="test"))
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a migrated SQLite database, shared by the run."""
    data_dir = tmp_path_factory.mktemp("data")
    upgrade_schema(Settings(data_dir=data_dir, env="test"))
    return data_dir


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for one test on one backend, with empty tables and a data folder of its own."""
    if request.param == "sqlite":
        data_dir: Path = request.getfixturevalue("sqlite_dir")
        config = Settings(data_dir=data_dir, env="test", secret_key="test-secret-key")  # type: ignore[arg-type]
    else:
        url: str = request.getfixturevalue("postgres_url")
        config = Settings(
            data_dir=tmp_path,
            database_url=url,
            env="test",
            secret_key="test-secret-key",  # type: ignore[arg-type]
        )
    yield config
    empty_tables(config)


def empty_tables(config: Settings) -> None:
    """Delete every row, children first (tests that manage their own database call it too)."""
    engine = create_db_engine(config)
    try:
        with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture
def db_session(settings: Settings) -> Iterator[Session]:
    """A session on the test's backend; the test commits what it wants the app to see."""
    engine = create_db_engine(settings)
    factory = create_session_factory(engine)
    with factory() as session:
        yield session
    engine.dispose()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose commands see the test's database through the environment, as in real use."""
    monkeypatch.setenv("SALES_GROWTH_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("SALES_GROWTH_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("SALES_GROWTH_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


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
