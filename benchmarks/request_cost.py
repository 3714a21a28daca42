"""CPU per request of each main page and API route, rendered (page cache off) and served from the page cache.

Run: ``python benchmarks/request_cost.py [--requests 300] [--users 300]``. It seeds an organisation into a
temporary SQLite folder (``benchmarks/load/seed.py``), builds the app in this process and calls it as uvicorn
would (ASGI, with its real middleware, dependencies and thread pool, without the network), as many different
people as it can, and prints the process CPU time per request (median of ``--repeats`` rounds). CPU time, unlike a
load test's latency, hardly moves with what else the shared machine is doing: use it to compare two versions of
the code. What a load test of 1,000 users can reach is about (2 cores − the load generator) / this cost.

``--profile FILE`` writes a cProfile (CPU time) of the measured rounds instead (the thread pool's work runs inline, so
that the profile holds it; the printed costs then lack the hops): ``python -m pstats FILE`` or ``snakeviz`` reads it.
``--statements`` prints the SQL of one request of each route instead, with its transactions' begin and end.
``--postgres`` seeds a fresh database on the local PostgreSQL server and uses the local Redis, as the load test's
``--config postgres`` does, and prints a second figure: the CPU of the database server's and Redis's processes.
``--concurrency N`` keeps N requests in flight at once (a pool of several connections, threads waiting on them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "load"))

ROUTES = (
    "home", "records", "record", "plan", "growth", "analysis", "team", "member", "m-record", "m-plan", "progress"
)  # fmt: skip
PROGRESS = ("doing", "todo")  # each item's progress alternates between the two: every post changes its item


def _paths(people: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """For each route, (session, path) for as many different people as there are."""
    by_id = {p["id"]: p for p in people}
    members = [p for p in people if p["role"] == "member"]
    managers = [p for p in people if p["role"] == "manager" and by_id[p["reports"][0]]["role"] == "member"]
    paths: dict[str, list[tuple[str, str]]] = {route: [] for route in ROUTES}
    for m in members:
        record, plan = m["records"][-1], m["plans"][-1]
        paths["home"].append((m["session"], "/home"))
        paths["records"].append((m["session"], "/one-on-ones"))
        paths["record"].append((m["session"], f"/one-on-ones/{record}"))
        paths["plan"].append((m["session"], f"/action-plans/{plan}"))
        paths["growth"].append((m["session"], f"/api/v1/members/{m['id']}/growth"))
        paths["analysis"].append((m["session"], f"/api/v1/one-on-ones/{record}/analysis"))
        paths["progress"].append((m["session"], f"POST /action-items/{m['items'][-1]}/progress"))
    for g in managers:
        report = by_id[g["reports"][0]]
        paths["team"].append((g["session"], "/team"))
        paths["member"].append((g["session"], f"/members/{report['id']}"))
        paths["m-record"].append((g["session"], f"/one-on-ones/{report['records'][-1]}"))
        paths["m-plan"].append((g["session"], f"/action-plans/{report['plans'][-1]}"))
    return paths


_posts: Counter[str] = Counter()  # posts per path
_csrf_tokens: dict[str, str] = {}  # per session, signed on its first post (the unmeasured warm-up)


def _csrf_token(app: Any, session: str) -> str:
    if session not in _csrf_tokens:
        from sales_growth.ops.security import session_token

        _csrf_tokens[session] = session_token(app.state.settings.resolved_secret_key(), session)
    return _csrf_tokens[session]


async def _call(app: Any, session: str, path: str) -> None:
    """A GET of ``path``, or with ``POST /path`` the progress form's post (with the page's CSRF token), answered
    by the redirect to the plan (only the post is measured: the plan's page is a route of its own)."""
    method, _, path = path.rpartition(" ")
    route, _, query = path.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"cookie", f"sg_session={session}".encode()), (b"accept", b"text/html")]
    body = b""
    if method == "POST":
        _posts[path] += 1
        body = f"status={PROGRESS[_posts[path] % 2]}&note=".encode()
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"x-csrf-token", _csrf_token(app, session).encode()),
        ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method or "GET",
        "scheme": "http", "path": route, "raw_path": route.encode(), "query_string": query.encode(), "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != (303 if method == "POST" else 200):
        raise SystemExit(f"{path}: {sent[0]['status']}")


async def _measure(
    app: Any, calls: list[tuple[str, str]], requests: int, concurrency: int, servers: bool
) -> tuple[float, float]:
    """CPU µs per request over ``requests`` calls cycling through ``calls``, ``concurrency`` at a time: this
    process's, and with ``servers`` the database server's and Redis's (else 0)."""
    from run import cpu_seconds, service_pids

    services = service_pids() if servers else []  # read each round: the pool's backends open as it needs them
    started, services_started = time.process_time(), cpu_seconds(services)

    async def client(first: int) -> None:  # one of ``concurrency`` clients, each with its share of the calls
        for i in range(first, requests, concurrency):
            await _call(app, *calls[i % len(calls)])

    async with anyio.create_task_group() as clients:
        for first in range(concurrency):
            clients.start_soon(client, first)
    app_cpu, services_cpu = time.process_time() - started, cpu_seconds(services) - services_started
    return 1e6 * app_cpu / requests, 1e6 * services_cpu / requests


async def _inline(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args)


async def _statements(app: Any, paths: dict[str, list[tuple[str, str]]], routes: list[str]) -> None:
    """Print the SQL of one request of each route (a warm one: its session is known), with its transactions."""
    from sqlalchemy import event

    engine = app.state.engine
    lines: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        lines.append(" ".join(statement.split())[:160])

    def marker(name: str) -> Any:
        return lambda _conn: lines.append(f"-- {name}")

    event.listen(engine, "before_cursor_execute", executed)
    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, marker(name))
    for route in routes:
        lines.clear()
        await _call(app, *paths[route][1 % len(paths[route])])
        print(f"{route}: {sum(not line.startswith('--') for line in lines)} statements")
        print("\n".join(f"  {line}" for line in lines))


async def _run(
    app: Any, paths: dict[str, list[tuple[str, str]]], args: argparse.Namespace
) -> dict[str, tuple[float, float]]:
    costs: dict[str, list[tuple[float, float]]] = {route: [] for route in args.routes.split(",")}
    async with app.router.lifespan_context(app):
        for route in ROUTES:  # every session and page once: the token cache and SQLite's pages are warm
            for call in paths[route]:
                await _call(app, *call)
        if args.statements:
            await _statements(app, paths, args.routes.split(","))
            return {}
        if args.profile:
            import cProfile

            import anyio.to_thread

            anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
            profile = cProfile.Profile(time.process_time)
            profile.enable()
        for _ in range(args.repeats):
            for route in args.routes.split(","):
                # With --cached, one person's page again and again: every request is a hit.
                calls = paths[route][:1] if args.cached else paths[route]
                costs[route].append(await _measure(app, calls, args.requests, args.concurrency, args.postgres))
        if args.profile:
            profile.disable()
            profile.dump_stats(args.profile)
    return {route: _median_pair(values) for route, values in costs.items()}


def _median_pair(values: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=300, help="people in the seeded organisation")
    parser.add_argument("--requests", type=int, default=200, help="requests per route and round")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the median is printed")
    parser.add_argument("--cached", action="store_true", help="served from the page cache instead of rendered")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured rounds to this file")
    parser.add_argument("--statements", action="store_true", help="print one request's SQL per route instead")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--postgres-host", default="127.0.0.1", help="an address, or a Unix socket's folder")
    parser.add_argument("--redis-url", default=None, help="instead of the load test's Redis database (it is flushed)")
    parser.add_argument(
        "--routes", default=",".join(ROUTES), help=f"which, comma-separated (default: {','.join(ROUTES)})"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sales-growth-cost-") as folder:
        data_dir = Path(folder)
        os.environ |= {
            "SALES_GROWTH_DATA_DIR": folder,
            "SALES_GROWTH_EMBEDDED_WORKER": "false",
            "SALES_GROWTH_BACKUP_SCHEDULE": "false",
            "SALES_GROWTH_PAGE_CACHE_SECONDS": "300" if args.cached else "0",
        }
        if args.postgres:
            from run import REDIS_URL, fresh_postgres

            args.redis_url = args.redis_url or REDIS_URL
            os.environ |= {
                "SALES_GROWTH_DATABASE_URL": fresh_postgres(args.postgres_host, args.redis_url),
                "SALES_GROWTH_REDIS_URL": args.redis_url,
            }
        from seed import seed

        from sales_growth.ops.logs import configure_logging
        from sales_growth.settings import Settings
        from sales_growth.web.app import create_app

        seed(Settings(), users=args.users, out=data_dir / "users.json", sessions=True)
        people = json.loads((data_dir / "users.json").read_text(encoding="utf-8"))["users"]
        with Path(os.devnull).open("w", encoding="utf-8") as devnull:
            configure_logging(stream=devnull)  # the access lines are written, to nowhere
            costs = asyncio.run(_run(create_app(Settings()), _paths(people), args))
    if args.statements:
        return
    kind = "served from the page cache" if args.cached else "rendered (page cache off)"
    print(f"CPU per request, {kind}, median of {args.repeats} rounds of {args.requests}:")
    for route, (cost, service_cost) in costs.items():
        print(f"  {route:<9} {cost / 1000:6.2f} ms" + (f"  {service_cost / 1000:6.2f} ms" if args.postgres else ""))
    app_mean = statistics.mean(cost for cost, _ in costs.values())
    services_mean = statistics.mean(service_cost for _, service_cost in costs.values())
    services = f"  {services_mean / 1000:6.2f} ms  the database server and Redis" if args.postgres else ""
    print(f"  {'mean':<9} {app_mean / 1000:6.2f} ms{services}")


if __name__ == "__main__":
    main()
