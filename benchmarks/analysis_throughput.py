"""Analysis throughput: 200 records saved at once, and the time until every analysis has ``succeeded``.

Run: ``python benchmarks/analysis_throughput.py --config sqlite|postgres --workers 1|2 [--records 200] [--runs 3]``.

- ``sqlite``: ``sales-growth serve`` on SQLite in a temporary data folder, its embedded worker consuming with
  ``--workers`` threads (``SALES_GROWTH_EMBEDDED_WORKERS``; the default install has 2).
- ``postgres``: a fresh database on 127.0.0.1:5432 and Redis db 7, ``serve`` with the embedded worker off, and
  ``--workers`` ``sales-growth worker --workers 1`` processes.

The records are posted over the API by 20 clients at once (the per-user limit of record creations is raised for
the run, as 200 from one account in a minute is beyond it by design); the clock starts before the first post and
stops when the list shows every analysis ``succeeded``. Prints each run and the median: seconds in all, and
analyses per second.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))

from analysis_jobs import PASSWORD, RECORD, seed
from run import REDIS_URL, base_env, free_port, fresh_postgres, stop, wait_until_healthy


def start(config: str, workers: int, data_dir: Path, port: int) -> list[subprocess.Popen[bytes]]:
    env = base_env({"SALES_GROWTH_DATA_DIR": str(data_dir), "SALES_GROWTH_EXPENSIVE_REQUESTS_PER_USER": "100000"})
    processes = []
    if config == "postgres":
        env |= {"SALES_GROWTH_DATABASE_URL": fresh_postgres(), "SALES_GROWTH_REDIS_URL": REDIS_URL}
        env["SALES_GROWTH_EMBEDDED_WORKER"] = "false"
    else:
        env["SALES_GROWTH_EMBEDDED_WORKERS"] = str(workers)
    seed_env(env, data_dir)
    serve = [sys.executable, "-m", "sales_growth.cli", "serve", "--port", str(port)]
    processes.append(subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    if config == "postgres":
        for _ in range(workers):
            worker = [sys.executable, "-m", "sales_growth.cli", "worker", "--workers", "1"]
            processes.append(subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return processes


def seed_env(env: dict[str, str], data_dir: Path) -> None:
    """The benchmark's account, in the database the app will use."""
    from sales_growth.settings import Settings

    if "SALES_GROWTH_DATABASE_URL" in env:
        from sales_growth.accounts.models import Role, User
        from sales_growth.accounts.passwords import hash_password
        from sales_growth.db import create_db_engine, create_session_factory, transaction, upgrade_schema

        settings = Settings(data_dir=data_dir, database_url=env["SALES_GROWTH_DATABASE_URL"])
        upgrade_schema(settings)
        with transaction(create_session_factory(create_db_engine(settings))) as session:
            admin = User(email="bench@example.com", name="計測", role=Role.ADMIN, password_hash=hash_password(PASSWORD))
            session.add(admin)
    else:
        seed(data_dir)


def save_all_and_wait(base: str, records: int) -> float:
    login = {"email": "bench@example.com", "password": PASSWORD}
    token = httpx.post(f"{base}/api/v1/auth/token", json=login, timeout=30).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{base}/api/v1/me", headers=headers).json()
    body = {"member_id": me["id"], "held_on": "2026-11-02", "content": RECORD}
    started = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client, ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: client.post("/api/v1/one-on-ones", json=body).status_code, range(records)))
        if answers.count(201) != records:
            raise SystemExit(f"not every record was saved: {answers}")
        while True:
            listed = client.get("/api/v1/one-on-ones", params={"limit": 200}).json()["items"]
            statuses = [item["analysis"]["status"] for item in listed]
            if "failed" in statuses:
                raise SystemExit("an analysis failed")
            if statuses.count("succeeded") == records:
                return time.perf_counter() - started
            time.sleep(0.1)


def one_run(config: str, workers: int, records: int) -> float:
    with tempfile.TemporaryDirectory(prefix="sales-growth-throughput-") as folder:
        port = free_port()
        processes = start(config, workers, Path(folder), port)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, processes)
            return save_all_and_wait(base, records)
        finally:
            stop(processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    seconds = []
    for number in range(1, args.runs + 1):
        seconds.append(one_run(args.config, args.workers, args.records))
        print(f"run {number}: {seconds[-1]:.1f} s, {args.records / seconds[-1]:.1f} analyses/s", flush=True)
    median = statistics.median(seconds)
    print(
        f"{args.config}, {args.workers} worker(s), {args.records} records of {len(RECORD):,} characters saved at once: "
        f"median {median:.1f} s to all succeeded, {args.records / median:.1f} analyses/s"
    )


if __name__ == "__main__":
    main()
