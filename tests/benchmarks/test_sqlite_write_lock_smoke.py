"""The write-lock probe still runs, and every transaction of every process is counted."""

from __future__ import annotations

from pathlib import Path

from benchmarks.sqlite_write_lock import measure


def test_two_writing_processes_each_commit_every_transaction(tmp_path: Path) -> None:
    latencies = measure(tmp_path / "probe.db", processes=2, transactions=20, hold=0.001)
    assert len(latencies) == 40
    assert latencies == sorted(latencies)
    assert latencies[0] >= 1.0  # each held the lock for its 1 ms of work
