"""What SQLite's write lock costs writers in several processes, as the app's web processes write (a probe).

Run: ``python benchmarks/sqlite_write_lock.py [--processes 1,2,3] [--transactions 300] [--hold-ms 2]``. Each process
opens the database as the app does (WAL, ``synchronous=NORMAL``, ``busy_timeout=10000``) and runs transactions
like a progress post: a read outside the transaction (pysqlite begins one only before the first write), then
``BEGIN``, an update of one row, ``--hold-ms`` of Python work with the lock held, ``COMMIT``, and 2 ms of rest.
It prints the latency of the transactions of all the processes. With more busy processes than cores, the figure
includes waiting for a core.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import tempfile
import time
from pathlib import Path

ROWS = 1000


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _writer(path: Path, transactions: int, hold: float, results: multiprocessing.Queue[list[float]]) -> None:
    connection = _connect(path)
    latencies = []
    for i in range(transactions):
        started = time.perf_counter()
        connection.execute("SELECT v FROM t WHERE id = ?", (i % ROWS,)).fetchall()
        connection.execute("BEGIN")
        connection.execute("UPDATE t SET v = v + 1 WHERE id = ?", (i % ROWS,))
        busy_until = time.perf_counter() + hold
        while time.perf_counter() < busy_until:
            pass
        connection.execute("COMMIT")
        latencies.append(1000 * (time.perf_counter() - started))
        time.sleep(0.002)
    results.put(latencies)


def measure(path: Path, processes: int, transactions: int, hold: float) -> list[float]:
    connection = _connect(path)
    connection.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER)")
    connection.execute("DELETE FROM t")
    connection.executemany("INSERT INTO t VALUES (?, 0)", [(i,) for i in range(ROWS)])
    connection.close()
    results: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_writer, args=(path, transactions, hold, results)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    latencies = sorted(value for _ in workers for value in results.get(timeout=600))
    for worker in workers:
        worker.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", default="1,2,3", help="numbers of writing processes, comma-separated")
    parser.add_argument("--transactions", type=int, default=300, help="per process")
    parser.add_argument("--hold-ms", type=float, default=2.0, help="Python work while the write lock is held")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sales-growth-lock-") as folder:
        for processes in (int(n) for n in args.processes.split(",")):
            latencies = measure(Path(folder) / "probe.db", processes, args.transactions, args.hold_ms / 1000)

            def at(share: float, values: list[float] = latencies) -> float:
                return values[min(len(values) - 1, int(len(values) * share))]

            print(
                f"{processes} process(es): p50 {at(0.5):.1f} ms  p95 {at(0.95):.1f} ms  p99 {at(0.99):.1f} ms  "
                f"max {latencies[-1]:.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
