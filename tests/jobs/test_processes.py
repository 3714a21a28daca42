"""The real processes: ``serve`` with its embedded worker on SQLite, and ``serve`` + ``worker`` on PostgreSQL and
Redis. A saved record reaches ``succeeded`` through the real queue, exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import select

from sales_growth.accounts.models import Role, User
from sales_growth.accounts.passwords import hash_password
from sales_growth.db import create_db_engine, create_session_factory, transaction, upgrade_schema, utcnow
from sales_growth.one_on_ones.models import Analysis, OneOnOne
from sales_growth.settings import Settings
from tests.conftest import REDIS_TEST_URL, empty_tables, skip_or_fail
from tests.processes import CLI, app_env, free_port, kill, running, wait_for_health

pytestmark = pytest.mark.slow

PASSWORD = "correct-horse-battery"
RECORD = (
    "課長：今日は東和商事さんの件を聞かせて。\n"
    "新人：はい。予算の確認を忘れてしまいました。決裁者も分かっていません。\n"
    "課長：次の訪問では必ず予算と決裁者を聞こう。資料の準備はよくできていたよ。\n"
)


def _seed_users(settings: Settings) -> None:
    upgrade_schema(settings)
    engine = create_db_engine(settings)
    with transaction(create_session_factory(engine)) as session:
        manager = User(email="kacho@example.com", name="課長", role=Role.MANAGER, password_hash=hash_password(PASSWORD))
        session.add(manager)
        session.flush()
        session.add(
            User(
                email="shinjin@example.com",
                name="新人",
                role=Role.MEMBER,
                manager_id=manager.id,
                password_hash=hash_password(PASSWORD),
            )
        )
    engine.dispose()


def _login(base: str, email: str) -> dict[str, str]:
    response = httpx.post(f"{base}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _record_and_wait(base: str, *, timeout: float = 60.0) -> dict[str, Any]:
    record_id = _create_record(base)
    headers = _login(base, "kacho@example.com")
    url = f"{base}/api/v1/one-on-ones/{record_id}/analysis"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        analysis: dict[str, Any] = httpx.get(url, headers=headers, timeout=30).json()
        if analysis["status"] in {"succeeded", "failed"}:
            return analysis
        time.sleep(0.1)
    raise AssertionError(f"analysis still {analysis['status']} after {timeout} s")


def test_serve_analyses_a_saved_record_with_its_embedded_worker(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="test")
    _seed_users(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running([*CLI, "serve", "--port", str(port)], app_env(tmp_path), tmp_path / "serve.log"):
        wait_for_health(base)
        analysis = _record_and_wait(base)
    assert analysis["status"] == "succeeded", (tmp_path / "serve.log").read_text()
    assert analysis["attempts"] == 1
    assert analysis["result"]["engine"] == "local"
    assert analysis["result"]["findings"]


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis not reachable at {REDIS_TEST_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def pg_settings(postgres_url: str, tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, env="test")
    yield settings
    empty_tables(settings)


@pytest.mark.redis
def test_serve_and_a_separate_worker_share_postgresql_and_redis(
    pg_settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    postgres_url = pg_settings.resolved_database_url
    _seed_users(pg_settings)
    env = app_env(tmp_path, database_url=postgres_url, redis_url=REDIS_TEST_URL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web_env = {**env, "SALES_GROWTH_EMBEDDED_WORKER": "false"}
    with (
        running([*CLI, "serve", "--port", str(port)], web_env, tmp_path / "serve.log"),
        running([*CLI, "worker", "--workers", "1"], env, tmp_path / "worker.log"),
    ):
        wait_for_health(base)
        analysis = _record_and_wait(base)
    assert analysis["status"] == "succeeded", (tmp_path / "worker.log").read_text()
    assert analysis["attempts"] == 1


def test_a_restarted_serve_finishes_the_analysis_a_killed_process_left_running(tmp_path: Path) -> None:
    """A process killed with SIGKILL mid-analysis leaves its claim behind; the next start-up finishes it once."""
    settings = Settings(data_dir=tmp_path, env="test")
    _seed_users(settings)
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    record_id = _running_analysis(settings, worker=f"{socket.gethostname()}:{victim.pid}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running([*CLI, "serve", "--port", str(port)], app_env(tmp_path), tmp_path / "serve.log"):
        wait_for_health(base)
        analysis = _wait_status(settings, record_id, "succeeded")
    assert analysis.attempts == 2
    assert analysis.result is not None
    assert analysis.result["engine"] == "local"


def _running_analysis(settings: Settings, *, worker: str) -> int:
    """A record whose analysis is claimed by ``worker``; returns the record id."""
    engine = create_db_engine(settings)
    with transaction(create_session_factory(engine)) as session:
        member = session.scalars(select(User).where(User.role == Role.MEMBER)).one()
        record = OneOnOne(
            member_id=member.id, held_on=date(2026, 11, 2), title="t", content=RECORD, created_by_id=member.id
        )
        session.add(record)
        session.flush()
        analysis = Analysis(
            one_on_one_id=record.id,
            engine="local",
            status="running",
            stage="analyzing",
            attempts=1,
            worker=worker,
            heartbeat_at=utcnow(),
            started_at=utcnow(),
        )
        session.add(analysis)
        record_id = record.id
    engine.dispose()
    return record_id


def test_serve_killed_in_the_middle_of_an_llm_analysis_finishes_it_once_after_restart(tmp_path: Path) -> None:
    """SIGKILL while the job waits on the LLM; the restarted serve re-runs it, and it succeeds exactly once."""
    from tests.analysis.llm_engine.fake_server import completion, serve
    from tests.analysis.llm_engine.test_llm_analyzer import _answer

    settings = Settings(data_dir=tmp_path, env="test")
    _seed_users(settings)
    fake_iter = serve()
    fake = next(fake_iter)
    hang = threading.Event()

    def stuck() -> tuple[int, dict[str, str], bytes]:
        hang.wait(30)
        return completion(_answer())

    fake.script = [stuck]
    env = app_env(
        tmp_path,
        engine="llm",
        llm_base_url=fake.base_url,
        llm_model="test-model",
        llm_max_retries="0",
        llm_timeout_seconds="60",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with running([*CLI, "serve", "--port", str(port)], env, tmp_path / "serve1.log") as first:
            wait_for_health(base)
            record_id = _create_record(base)
            _wait_status(settings, record_id, "running")
            kill(first, signal.SIGKILL)
        fake.script = [completion(_answer())]
        hang.set()
        with running([*CLI, "serve", "--port", str(port)], env, tmp_path / "serve2.log"):
            wait_for_health(base)
            analysis = _wait_status(settings, record_id, "succeeded")
    finally:
        hang.set()
        with contextlib.suppress(StopIteration):
            next(fake_iter)
    assert analysis.attempts == 2
    assert analysis.result is not None
    assert analysis.result["engine"] == "llm"
    assert analysis.prompt_tokens == 120


def _create_record(base: str) -> int:
    headers = _login(base, "kacho@example.com")
    members = httpx.get(f"{base}/api/v1/users", params={"role": "member"}, headers=headers, timeout=30).json()
    body = {"member_id": members["items"][0]["id"], "held_on": "2026-11-02", "content": RECORD}
    created = httpx.post(f"{base}/api/v1/one-on-ones", json=body, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    record_id: int = created.json()["id"]
    return record_id


def _wait_status(settings: Settings, record_id: int, status: str, timeout: float = 60.0) -> Analysis:
    engine = create_db_engine(settings)
    factory = create_session_factory(engine)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with factory() as session:
                analysis = session.scalars(select(Analysis).where(Analysis.one_on_one_id == record_id)).first()
                if analysis is not None and analysis.status == status:
                    return analysis
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError(f"analysis of record {record_id} never became {status}")
