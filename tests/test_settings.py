from __future__ import annotations

import multiprocessing
import stat
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from sales_growth.settings import Settings


def test_default_database_is_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'sales_growth.db').resolve()}"


def test_secret_key_is_generated_once_and_kept_owner_only(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    second = Settings(data_dir=tmp_path).resolved_secret_key()
    assert first == second
    assert len(first) >= 32
    mode = (tmp_path / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_production_refuses_a_missing_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(data_dir=tmp_path, env="production")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SALES_GROWTH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SALES_GROWTH_ENGINE", "llm")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.engine == "llm"


def test_the_first_migration_creates_the_data_folder(tmp_path: Path) -> None:
    from sales_growth.db import upgrade_schema

    data_dir = tmp_path / "fresh" / "data"
    upgrade_schema(Settings(data_dir=data_dir))
    assert (data_dir / "sales_growth.db").is_file()


def _key_of(data_dir: Path, start: Barrier, keys: Queue[str]) -> None:
    start.wait()
    keys.put(Settings(data_dir=data_dir).resolved_secret_key())


def test_processes_starting_together_make_and_read_one_key(tmp_path: Path) -> None:
    """``serve --workers N``: every process signs with the same key, none with a half-written one."""
    context = multiprocessing.get_context("fork")
    for round_ in range(15):
        data_dir = tmp_path / str(round_)
        start, keys = context.Barrier(6), context.Queue()
        processes = [context.Process(target=_key_of, args=(data_dir, start, keys)) for _ in range(6)]
        for process in processes:
            process.start()
        found = {keys.get(timeout=30) for _ in processes}
        for process in processes:
            process.join(timeout=30)
        assert len(found) == 1, f"round {round_}: {len(found)} different keys"
        assert len(found.pop()) >= 32
        assert sorted(p.name for p in data_dir.iterdir()) == ["secret_key"]  # no file of a key left behind


def test_an_empty_key_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="SALES_GROWTH_SECRET_KEY"):
        Settings(data_dir=tmp_path).resolved_secret_key()
