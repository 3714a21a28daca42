"""Run the load scenario against the app started as a user would, and print its latency, errors and throughput.

Run: ``python benchmarks/load/run.py --config sqlite|postgres [--users 1000] [--seconds 60] [--runs 3]``.

Each run starts from an empty database, seeds the organisation (``seed.py``), starts the app, starts Locust
headless beside it with ``--users`` people arriving at ``--spawn-rate`` a second (each logs in once), resets the
statistics once all have arrived, and measures ``--seconds`` at full load. Printed per run and as the median of
the runs: p50, p95, p99 (ms), failed requests and requests per second over the measured window, and the CPU the
app, the load generator and the services (the PostgreSQL server's processes and Redis, by name) used in it.

- ``sqlite``: ``sales-growth serve`` on SQLite in a temporary data folder with its embedded worker (the default
  install), ``--web-processes`` uvicorn processes on one port (``serve --workers``).
- ``postgres``: a fresh database on PostgreSQL at 127.0.0.1:5432 (user ``postgres``, trust) and Redis at
  127.0.0.1:6379 db 7 (flushed), ``--web-processes`` web processes (``serve --workers``: uvicorn's processes share
  one listening socket and the kernel hands each connection to one of them) with the embedded worker off, and
  ``--job-workers`` ``sales-growth worker`` processes.

Every simulated person comes from 127.0.0.1, so the per-address limits of logins and record creations are raised
for the test through ``SALES_GROWTH_*`` variables (see ``LOAD_SETTINGS``); the per-account limits stay as they are.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "sales_growth_load"
REDIS_URL = "redis://127.0.0.1:6379/7"  # the test suite uses db 15
# Only what a load test from one address needs; every other setting keeps its default.
LOAD_SETTINGS = {
    "SALES_GROWTH_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
    "SALES_GROWTH_EXPENSIVE_REQUESTS_PER_ADDRESS": "1000000",
    "SALES_GROWTH_BACKUP_SCHEDULE": "false",  # a backup in the middle of a run would measure the backup
}


@dataclass
class RunResult:
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    app_cpu_percent: float
    locust_cpu_percent: float
    services_cpu_percent: float  # the PostgreSQL server's processes and Redis, whichever config
    load_average: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_healthy(base: str, processes: list[subprocess.Popen[bytes]]) -> None:
    for _ in range(600):
        if any(p.poll() is not None for p in processes):
            raise SystemExit("a process of the app stopped while starting")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the app did not start")


def base_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_GROWTH_")}
    return env | LOAD_SETTINGS | extra


def fresh_postgres(host: str = "127.0.0.1", redis_url: str = REDIS_URL) -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    if host.startswith("/"):  # a Unix socket's folder: the app and the server on one machine
        return f"postgresql+psycopg://postgres@/{POSTGRES_DATABASE}?host={host}"
    return f"postgresql+psycopg://postgres@{host}:5432/{POSTGRES_DATABASE}"


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes and their children that have exited, in seconds."""
    total = 0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


SERVICES = ("postgres", "redis-server")


def service_pids() -> list[int]:
    """The processes of the database server and Redis, by name (PostgreSQL runs a backend per connection)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in SERVICES:
                found.append(int(comm.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def tree(pid: int) -> list[int]:
    """A process and all its descendants (uvicorn's supervisor forks the web processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += tree(int(child))
    return found


def start_app(args: argparse.Namespace, data_dir: Path, port: int) -> tuple[list[subprocess.Popen[bytes]], str]:
    env = base_env({"SALES_GROWTH_DATA_DIR": str(data_dir)} | dict(v.split("=", 1) for v in args.env))
    web = [sys.executable, "-m", "sales_growth.cli", "serve", "--port", str(port), "--workers", str(args.web_processes)]
    logs = (data_dir / "app.log").open("ab")  # the processes write into it until they stop
    processes = []
    if args.config == "postgres":
        env |= {"SALES_GROWTH_DATABASE_URL": args.database_url, "SALES_GROWTH_REDIS_URL": args.redis_url}
        env["SALES_GROWTH_EMBEDDED_WORKER"] = "false"
        for _ in range(args.job_workers):
            worker = [sys.executable, "-m", "sales_growth.cli", "worker"]
            processes.append(subprocess.Popen(worker, env=env, stdout=logs, stderr=logs))
    processes.insert(0, subprocess.Popen(web, env=env, stdout=logs, stderr=logs))
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, processes)
    return processes, base


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def seed_database(args: argparse.Namespace, data_dir: Path, users_file: Path) -> None:
    from seed import seed

    from sales_growth.settings import Settings

    database_url = args.database_url if args.config == "postgres" else None
    settings = Settings(data_dir=data_dir, database_url=database_url)
    timings = seed(settings, users=args.users, out=users_file, sessions=args.sessions)
    print(f"  seeded {args.users} people in {sum(timings.values()):.1f} s ({json.dumps(timings)})", flush=True)


def run_locust(args: argparse.Namespace, base: str, users_file: Path, out: Path, app_pids: list[int]) -> RunResult:
    warmup = args.users / args.spawn_rate + args.settle
    command = [
        sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
        "--host", base, "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
        "--run-time", f"{int(warmup + args.seconds)}s", "--csv", str(out / "locust"),
        "--stop-timeout", "5", "--loglevel", "WARNING",
    ]  # fmt: skip
    if args.locust_processes > 1:
        command += ["--processes", str(args.locust_processes)]
    env = os.environ | {"LOAD_USERS_FILE": str(users_file), "LOAD_WARMUP_SECONDS": str(warmup)}
    with (out / "locust.log").open("wb") as log:
        locust = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    time.sleep(warmup)  # the statistics restart when all have arrived and settled: measure CPU from then on
    app_before, started = cpu_seconds([p for pid in app_pids for p in tree(pid)]), time.monotonic()
    locust_before, services_before = cpu_seconds(tree(locust.pid)), cpu_seconds(service_pids())
    time.sleep(max(1.0, args.seconds - 3))
    app_after, locust_after = cpu_seconds([p for pid in app_pids for p in tree(pid)]), cpu_seconds(tree(locust.pid))
    services = cpu_seconds(service_pids()) - services_before  # a backend that ended counts in the server's cutime
    elapsed = time.monotonic() - started
    load = os.getloadavg()[0]
    locust.wait(timeout=warmup + args.seconds + 120)
    if not (out / "locust_stats.csv").exists():
        raise SystemExit("Locust wrote no statistics:\n" + (out / "locust.log").read_text(encoding="utf-8")[-3000:])
    result = parse_stats(out / "locust_stats.csv")
    return RunResult(
        **result,
        app_cpu_percent=100 * (app_after - app_before) / elapsed,
        locust_cpu_percent=100 * (locust_after - locust_before) / elapsed,
        services_cpu_percent=100 * services / elapsed,
        load_average=load,
    )


def parse_stats(path: Path) -> dict[str, float | int]:
    with path.open(encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
    }


def per_route(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Name"] != "Aggregated"]
    rows.sort(key=lambda r: -int(r["Request Count"]))
    return [
        f"    {r['Type']:<5} {r['Name']:<46} n={r['Request Count']:>6} fail={r['Failure Count']:>4} "
        f"p50={r['50%']:>5} p95={r['95%']:>5} p99={r['99%']:>5}"
        for r in rows
    ]


def one_run(args: argparse.Namespace, number: int) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="sales-growth-load-") as folder:
        data_dir, out = Path(folder), Path(folder) / "out"
        out.mkdir()
        if args.config == "postgres":
            args.database_url = fresh_postgres(args.postgres_host, args.redis_url)
        users_file = data_dir / "users.json"
        seed_database(args, data_dir, users_file)
        processes, base = start_app(args, data_dir, free_port())
        try:
            result = run_locust(args, base, users_file, out, [p.pid for p in processes])
            cached = page_cache_counts(base)
        finally:
            stop(processes)
        print(format_result(f"run {number}", result), flush=True)
        print(f"         page cache (the process answering /metrics, whole run): {cached}", flush=True)
        if args.per_route:
            print("\n".join(per_route(out / "locust_stats.csv")), flush=True)
        failures = out / "locust_failures.csv"
        if result.failures and failures.exists():
            print(failures.read_text(encoding="utf-8")[:2000], flush=True)
            print("\n".join(app_errors(data_dir / "app.log")), flush=True)
        return result


def page_cache_counts(base: str) -> str:
    """What the page cache did, by route, from ``/metrics`` (with several web processes: the one that answered)."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    counts: dict[str, dict[str, int]] = {}
    for m in re.finditer(r'^page_cache_total\{result="(\w+)",route="([^"]+)"\} (\S+)$', text, re.M):
        counts.setdefault(m[2], {})[m[1]] = int(float(m[3]))
    lines = [f"{route}: " + " ".join(f"{k} {v}" for k, v in sorted(c.items())) for route, c in sorted(counts.items())]
    return "\n           ".join(lines) or "none"


def app_errors(log: Path) -> list[str]:
    """The distinct errors the app logged (their message and the last line of their exception), and its refusals:
    the access lines of 4xx and 5xx answers by route and status, with whether the user was known (a refused CSRF
    token is answered before authentication, a policy refusal after)."""
    seen: dict[str, int] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") == "error":
            cause = (entry.get("exception") or "").strip().splitlines()[-1:] or [""]
            key = f"app error: {entry.get('event')}: {cause[0][:200]}"
        elif isinstance(entry.get("status"), int) and entry["status"] >= 400:
            user = "user known" if entry.get("user_id") else "no user"
            key = f"answered {entry['status']}: {entry.get('method')} {entry.get('route')} ({user})"
        else:
            continue
        seen[key] = seen.get(key, 0) + 1
    return [f"  {key} x{count}" for key, count in seen.items()]


def format_result(label: str, r: RunResult) -> str:
    return (
        f"{label:<8} p50 {r.p50_ms:>5.0f} ms  p95 {r.p95_ms:>5.0f} ms  p99 {r.p99_ms:>5.0f} ms  "
        f"errors {r.failures:>4} / {r.requests:>6}  {r.rps:>6.1f} req/s  "
        f"CPU app {r.app_cpu_percent:>4.0f}%  locust {r.locust_cpu_percent:>4.0f}%  "
        f"db+redis {r.services_cpu_percent:>4.0f}%  load {r.load_average:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spawn-rate", type=float, default=25, help="people arriving (logging in) per second")
    parser.add_argument(
        "--settle", type=float, default=60, help="seconds after the last arrival before measuring (caches warm up)"
    )
    parser.add_argument(
        "--sessions", action="store_true", help="everyone arrives with a session from earlier instead of logging in"
    )
    parser.add_argument(
        "--postgres-host",
        default="127.0.0.1",
        help="the app's way to PostgreSQL: an address (port 5432), or a Unix socket's folder (/var/run/postgresql)",
    )
    parser.add_argument(
        "--redis-url", default=REDIS_URL, help="its database is flushed (unix:///path?db=7 for a socket)"
    )
    parser.add_argument("--web-processes", type=int, default=2, help="serve --workers N (one per core)")
    parser.add_argument("--job-workers", type=int, default=2, help="sales-growth worker processes (postgres)")
    parser.add_argument("--locust-processes", type=int, default=1)
    parser.add_argument("--env", action="append", default=[], help="an extra NAME=VALUE for the app (tuning)")
    parser.add_argument("--per-route", action="store_true", help="also print each route's figures")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args()
    print(
        f"{args.config}: {args.users} people, {args.seconds} s at full load, {args.runs} runs, "
        f"{args.web_processes} web process(es), nproc {os.cpu_count()}, load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results = [one_run(args, n + 1) for n in range(args.runs)]
    median = RunResult(**{k: statistics.median(getattr(r, k) for r in results) for k in asdict(results[0])})
    print(format_result("median", median))
    if args.json:
        body = {"config": vars(args) | {"json": str(args.json)}, "runs": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(body | {"median": asdict(median)}, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
