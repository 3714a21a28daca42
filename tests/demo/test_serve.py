"""``sales-growth serve --demo`` as a real process in an empty data folder: it migrates, fills the sample
organisation, prints the logins and serves; a demo member logs in through the login form and sees their records."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sales_growth.demo import DEMO_PASSWORD
from tests.factories import form_csrf_token
from tests.processes import CLI, app_env, free_port, running, wait_for_health

pytestmark = pytest.mark.slow


def test_serve_demo_starts_a_practice_environment_from_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"  # does not exist yet
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with running([*CLI, "serve", "--demo", "--port", str(port)], app_env(data_dir), log):
        wait_for_health(base, timeout=180)
        with httpx.Client(base_url=base, timeout=30) as browser:
            form = browser.get("/login")
            sent = {"email": "murata@example.com", "password": DEMO_PASSWORD, "csrf_token": form_csrf_token(form.text)}
            logged_in = browser.post("/login", data=sent)
            me = browser.get("/api/v1/me")
            records = browser.get("/api/v1/one-on-ones")
    output = log.read_text("utf-8")
    assert logged_in.status_code == 303, output
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "村田 健太"
    assert records.json()["total"] == 4  # his own, and only his
    assert "サンプル組織を作成しました" in output
    assert f"http://127.0.0.1:{port}/login" in output
    login_line = next(line for line in output.splitlines() if "murata@example.com" in line)
    assert DEMO_PASSWORD in login_line
