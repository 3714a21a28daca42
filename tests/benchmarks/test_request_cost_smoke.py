"""The request-cost benchmark still runs: a small organisation, a few requests per route, rendered and cached."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.request_cost import ROUTES

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "request_cost.py"


@pytest.mark.parametrize("cached", [False, True])
def test_every_route_answers_and_gets_a_cost(cached: bool) -> None:
    command = [sys.executable, str(BENCHMARK), "--users", "30", "--requests", "3", "--repeats", "1"]
    result = subprocess.run(
        [*command, "--cached"] if cached else command, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    costs = dict(re.findall(r"^  (\S+)\s+([\d.]+) ms$", result.stdout, re.M))
    assert set(costs) == {*ROUTES, "mean"}
    assert all(float(cost) > 0 for cost in costs.values())


def test_statements_shows_each_route_s_sql_and_its_transaction() -> None:
    command = [sys.executable, str(BENCHMARK), "--users", "30", "--statements", "--routes", "home,progress"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    counts = dict(re.findall(r"^(\S+): (\d+) statements$", result.stdout, re.M))
    assert set(counts) == {"home", "progress"}
    assert all(int(n) > 0 for n in counts.values())
    progress = result.stdout.split("progress:", 1)[1].splitlines()
    assert [line.strip() for line in progress if line.strip().startswith(("UPDATE", "--"))][-2:] == [
        "UPDATE action_items SET status=?, updated_at=? WHERE action_items.id = ?",
        "-- commit",
    ]


@pytest.mark.postgres
@pytest.mark.redis
def test_on_postgres_it_also_prints_the_servers_cpu(postgres_url: str, redis_url: str) -> None:
    """``--postgres`` (the local servers the load test's PostgreSQL config uses; the fixtures skip without them)."""
    command = [sys.executable, str(BENCHMARK), "--postgres", "--users", "30", "--requests", "3", "--repeats", "1"]
    result = subprocess.run(
        [*command, "--routes", "home,plan"], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    costs = re.findall(r"^  (\S+)\s+([\d.]+) ms\s+([\d.]+) ms", result.stdout, re.M)
    assert [route for route, _, _ in costs] == ["home", "plan", "mean"]
    assert all(float(app) > 0 for _, app, _ in costs)
