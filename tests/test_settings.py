from __future__ import annotations

import stat
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
