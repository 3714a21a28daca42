"""Starting the real ``sales-growth`` processes in tests: free ports, environments, waiting for readiness."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "sales_growth.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a child process: this one's, minus any SALES_GROWTH_ settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_GROWTH_")}
    env["SALES_GROWTH_DATA_DIR"] = str(data_dir)
    env["SALES_GROWTH_SECRET_KEY"] = "process-test-secret"
    env.update({f"SALES_GROWTH_{k.upper()}": v for k, v in settings.items()})
    return env


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is killed (whole process group) when the block ends, whatever happens."""
    with log.open("ab") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        kill(process, signal.SIGKILL)


def kill(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)


def wait_for_health(base_url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base_url} did not become healthy in {timeout} s")


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
