"""The load scenario still runs: a few people for a few seconds against ``sales-growth serve``, without a failure.

The full test (1,000 people, ``benchmarks/load/run.py``) takes minutes; this keeps its scenario from rotting when
pages, forms or routes change.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.processes import CLI, app_env, free_port, running, wait_for_health

# Requests only one kind of person makes (the names the locustfile gives them).
MEMBER_ONLY = {
    "/home",
    "/one-on-ones",
    "/api/v1/members/[id]/growth",
    "/api/v1/one-on-ones/[id]/analysis",
    "/action-items/[id]/progress [POST]",
}
MANAGER_ONLY = {
    "/team",
    "/members/[id]",
    "/one-on-ones?member_id=[id]",
    "/action-items/[id]/comments [POST]",
    "/one-on-ones/new",
}
ROOT = Path(__file__).resolve().parents[2]
LOAD_DIR = ROOT / "benchmarks" / "load"

# Not imported here: importing Locust patches the standard library for gevent, in the whole test process.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_spec("locust") is None, reason="Locust is in the test extra: pip install -e '.[test]'"),
]


def seed(data_dir: Path, users_file: Path) -> None:
    env = app_env(data_dir)
    command = [sys.executable, str(LOAD_DIR / "seed.py"), "--users", "20", "--out", str(users_file)]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)


def stats(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def test_the_scenario_runs_without_failures(tmp_path: Path) -> None:
    users_file = tmp_path / "users.json"
    seed(tmp_path, users_file)
    port = free_port()
    env = app_env(tmp_path, backup_schedule="false", login_attempts_per_address="1000")
    with running([*CLI, "serve", "--port", str(port)], env, tmp_path / "serve.log"):
        base = f"http://127.0.0.1:{port}"
        wait_for_health(base)
        locust = [
            sys.executable, "-m", "locust", "-f", str(LOAD_DIR / "locustfile.py"), "--headless", "--only-summary",
            "--host", base, "--users", "9", "--spawn-rate", "9", "--run-time", "12s", "--csv", str(tmp_path / "l"),
        ]  # fmt: skip
        locust_env = os.environ | {"LOAD_USERS_FILE": str(users_file), "LOAD_EQUAL_ROLES": "1"}
        subprocess.run(locust, env=locust_env, capture_output=True, timeout=90, check=False)
    rows = stats(tmp_path / "l_stats.csv")
    total = rows["Aggregated"]
    assert int(total["Request Count"]) > 30
    assert int(total["Failure Count"]) == 0, (tmp_path / "l_failures.csv").read_text(encoding="utf-8")
    # Everyone logged in through the form, and each kind of person got to act.
    assert int(rows["/login [POST]"]["Request Count"]) >= 9
    visited = {name for name, row in rows.items() if int(row["Request Count"])}
    assert visited & MEMBER_ONLY, "no member acted"
    assert visited & MANAGER_ONLY, "no manager acted"
    assert any(name.startswith("/admin/") for name in visited), "no admin acted"
