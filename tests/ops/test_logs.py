"""Logs: JSON lines with the request id and the user id, one access line per request, and no secrets or record text."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sales_growth.ops.logs import configure_logging
from sales_growth.settings import Settings
from tests.factories import make_user
from tests.personas import make_app
from tests.processes import CLI, app_env, free_port, running, wait_for_health

PASSWORD = "kept-secret-password-42"
RECORD_TEXT = "部下: 株式会社ミドリ商事の山田部長に予算を聞きそびれました。極秘メモ。"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """This process's logging, configured as ``serve`` does, writing to a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging(level="INFO", stream=stream)
    yield stream
    root.handlers, root.level = saved
    structlog.reset_defaults()
    logging.getLogger("uvicorn.access").disabled = False


def _parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_line_is_json_and_each_request_has_one_access_line(
    settings: Settings, db_session: Session, log_lines: io.StringIO
) -> None:
    user = make_user(db_session, password=PASSWORD)
    with TestClient(make_app(settings)) as client:
        token = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = client.get("/api/v1/me", headers=headers)
        missing = client.get("/no-such-page")
    lines = _parsed(log_lines)
    access = [line for line in lines if line.get("logger") == "sales_growth.access"]
    assert [line["request_id"] for line in access] == [r.headers["X-Request-ID"] for r in (token, me, missing)]
    assert [line["status"] for line in access] == [200, 200, 404]
    assert access[1]["user_id"] == user.id
    assert access[1]["route"] == "/api/v1/me"
    assert all("timestamp" in line and "level" in line for line in lines)


def test_a_callers_request_id_is_kept_when_it_is_plain(settings: Settings, log_lines: io.StringIO) -> None:
    with TestClient(make_app(settings)) as client:
        kept = client.get("/health", headers={"X-Request-ID": "lb-1234.abc"})
        replaced = client.get("/health", headers={"X-Request-ID": "<script>"})
    assert kept.headers["X-Request-ID"] == "lb-1234.abc"
    assert replaced.headers["X-Request-ID"] != "<script>"


def test_passwords_tokens_and_record_text_never_reach_the_logs(
    settings: Settings, db_session: Session, log_lines: io.StringIO
) -> None:
    admin = make_user(db_session, role="admin", password=PASSWORD)  # type: ignore[arg-type]
    member = make_user(db_session, manager=None)
    with TestClient(make_app(settings)) as client:
        client.post("/api/v1/auth/token", json={"email": admin.email, "password": "wrong-" + PASSWORD})
        issued = client.post("/api/v1/auth/token", json={"email": admin.email, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {issued['access_token']}"}
        body = {"member_id": member.id, "held_on": "2026-11-02", "content": RECORD_TEXT}
        assert client.post("/api/v1/one-on-ones", json=body, headers=headers).status_code == 201
        client.post("/api/v1/one-on-ones", json={**body, "held_on": "not-a-date"}, headers=headers)
        client.patch(f"/api/v1/users/{member.id}", json={"password": "new-" + PASSWORD}, headers=headers)
        structlog.get_logger("test").info("explicit", password=PASSWORD, token=issued["access_token"])
    text = log_lines.getvalue()
    assert text  # the app did log
    for secret in (PASSWORD, issued["access_token"], "ミドリ商事", "極秘メモ"):
        assert secret not in text
    assert "[redacted]" in text


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_writes_one_json_access_line_per_request_to_stdout(tmp_path: Path, workers: int) -> None:
    """With ``--workers 2`` the web processes are fresh interpreters that uvicorn starts: they log as ``serve``
    does too (JSON, redacted), not in structlog's default console format."""
    from sales_growth.accounts.models import Role, User
    from sales_growth.accounts.passwords import hash_password
    from sales_growth.db import create_db_engine, create_session_factory, transaction, upgrade_schema

    settings = Settings(data_dir=tmp_path, env="test")
    upgrade_schema(settings)
    engine = create_db_engine(settings)
    with transaction(create_session_factory(engine)) as session:
        session.add(User(email="ops@example.com", name="運用", role=Role.ADMIN, password_hash=hash_password(PASSWORD)))
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with running([*CLI, "serve", "--port", str(port), "--workers", str(workers)], app_env(tmp_path), log):
        wait_for_health(base)
        login = httpx.post(f"{base}/api/v1/auth/token", json={"email": "ops@example.com", "password": PASSWORD})
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        _wait_for(log, me.headers["X-Request-ID"])  # the line is written just after the response is sent
    lines = log.read_text(encoding="utf-8").splitlines()
    json_lines = [json.loads(line) for line in lines if line.startswith("{")]
    # Besides the JSON lines, only what serve prints for the person who started it (where it serves, and how to
    # create the first admin when there is none).
    assert [line for line in lines if not line.startswith("{")] == [line for line in lines if line.startswith("営業")]
    access = {line["request_id"]: line for line in json_lines if line.get("logger") == "sales_growth.access"}
    assert access[me.headers["X-Request-ID"]]["user_id"] == me.json()["id"]
    assert access[login.headers["X-Request-ID"]]["route"] == "/api/v1/auth/token"
    assert (
        sum(1 for line in json_lines if line.get("logger") == "sales_growth.access" and line["path"] == "/api/v1/me")
        == 1
    )
    assert PASSWORD not in log.read_text(encoding="utf-8")
    assert login.json()["access_token"] not in log.read_text(encoding="utf-8")


def _wait_for(log: Path, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, f"{text} never appeared in {log}"
        time.sleep(0.05)


def test_an_unexpected_error_is_logged_and_answered_with_its_request_id(
    settings: Settings, log_lines: io.StringIO
) -> None:
    app = make_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    lines = [line for line in _parsed(log_lines) if line.get("request_id") == request_id]
    assert any(line["level"] == "error" and "RuntimeError" in line.get("exception", "") for line in lines)
    assert [line["status"] for line in lines if line.get("logger") == "sales_growth.access"] == [500]
