"""Time from saving a 1on1 record to its analysis ``succeeded``, through the real queue of ``sales-growth serve``.

Run: ``python benchmarks/analysis_jobs.py [--records N]``. Starts ``serve`` on SQLite in a temporary data folder
(the embedded default: in-process Huey consumer), saves N records one after another over the API and reports the
median and worst time until each analysis succeeded. Target (issue 4): under 5 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PASSWORD = "benchmark-password"
RECORD = (
    "課長：今日は東和商事さんの件を聞かせて。\n"
    "新人：はい。予算の確認を忘れてしまいました。決裁者も分かっていません。\n"
    "課長：次の訪問では必ず予算と決裁者を聞こう。資料の準備はよくできていたよ。\n"
) * 20


def seed(data_dir: Path) -> None:
    from sales_growth.accounts.models import Role, User
    from sales_growth.accounts.passwords import hash_password
    from sales_growth.db import create_db_engine, create_session_factory, transaction, upgrade_schema
    from sales_growth.settings import Settings

    settings = Settings(data_dir=data_dir)
    upgrade_schema(settings)
    with transaction(create_session_factory(create_db_engine(settings))) as session:
        session.add(
            User(email="bench@example.com", name="計測", role=Role.ADMIN, password_hash=hash_password(PASSWORD))
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_healthy(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("serve did not start")


def measure(base: str, records: int) -> list[float]:
    token = httpx.post(f"{base}/api/v1/auth/token", json={"email": "bench@example.com", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = httpx.get(f"{base}/api/v1/me", headers=headers).json()
    durations = []
    for _ in range(records):
        started = time.perf_counter()
        body = {"member_id": me["id"], "held_on": "2026-11-02", "content": RECORD}
        record = httpx.post(f"{base}/api/v1/one-on-ones", json=body, headers=headers, timeout=30).json()
        while True:
            analysis = httpx.get(f"{base}/api/v1/one-on-ones/{record['id']}/analysis", headers=headers).json()
            if analysis["status"] in {"succeeded", "failed"}:
                break
            time.sleep(0.02)
        assert analysis["status"] == "succeeded", analysis
        durations.append(time.perf_counter() - started)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        seed(data_dir)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_GROWTH_")}
        env["SALES_GROWTH_DATA_DIR"] = str(data_dir)
        server = subprocess.Popen(
            [sys.executable, "-m", "sales_growth.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base)
            durations = measure(base, args.records)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{args.records} records of {len(RECORD):,} characters, saved one after another")
    print(f"save → succeeded: median {statistics.median(durations):.3f} s, worst {max(durations):.3f} s (target < 5 s)")


if __name__ == "__main__":
    main()
