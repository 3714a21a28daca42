"""Backups and restores: every row of every table survives SQLite→SQLite, SQLite→PostgreSQL and
PostgreSQL→SQLite; damaged or partial archives are refused before anything is written."""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from sales_growth.accounts.models import Role, TokenKind, User
from sales_growth.accounts.passwords import hash_password
from sales_growth.cli import app as cli_app
from sales_growth.db import Base, create_db_engine, create_session_factory, transaction, upgrade_schema, utcnow
from sales_growth.one_on_ones import analyses
from sales_growth.one_on_ones.models import Analysis
from sales_growth.ops import backup, maintenance
from sales_growth.ops.audit import record_event
from sales_growth.settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL, skip_or_fail
from tests.factories import auth_headers, make_token
from tests.personas import make_app

PASSWORD = "restore-me-please-1"
RECORD = (
    "上司: 今日はどうだった？\n部下: 予算のこと聞くの忘れてました。\n上司: 次は最初に確認しよう。資料はよかったよ。"
)


@pytest.fixture
def fresh_postgres() -> Iterator[Settings]:
    """An empty PostgreSQL database of its own (no schema at all), dropped afterwards."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # no server here
        admin.dispose()
        skip_or_fail(f"PostgreSQL not reachable: {exc}")
    name = f"sales_growth_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield Settings(database_url=url, env="test", secret_key="test-secret-key")  # type: ignore[arg-type]
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sqlite(tmp_path: Path, name: str) -> Settings:
    return Settings(data_dir=tmp_path / name, env="test", secret_key="test-secret-key")  # type: ignore[arg-type]


def _fill(settings: Settings) -> None:
    """A small organisation with every kind of row: a report created before their manager, tokens, records with an
    uploaded CP932 file, finished analyses, audit events and the maintenance state."""
    upgrade_schema(settings)
    engine = create_db_engine(settings)
    factory = create_session_factory(engine)
    with transaction(factory) as session:
        member = User(email="kohai@example.com", name="後輩", role=Role.MEMBER, password_hash=hash_password(PASSWORD))
        admin = User(email="admin@example.com", name="管理者", role=Role.ADMIN, password_hash=hash_password(PASSWORD))
        session.add_all([member, admin])
        session.flush()
        manager = User(email="senpai@example.com", name="先輩", role=Role.MANAGER, password_hash=None)
        session.add(manager)
        session.flush()
        member.manager_id = manager.id  # points at a later id: the restore must fill it in afterwards
        record_event("user_created", session=session, target_id=member.id, role="member")
        maintenance.announce(session, start=utcnow(), end=utcnow(), message="定期メンテナンス")
    with transaction(factory) as session:
        token = make_token(session, admin, settings)
    with TestClient(make_app(settings)) as client:
        headers = auth_headers(token)
        data = {"member_id": str(member.id), "held_on": "2026-11-02"}
        files = {"file": ("memo.txt", RECORD.encode("cp932"), "text/plain")}
        assert client.post("/api/v1/one-on-ones", data=data, files=files, headers=headers).status_code == 201
        body = {"member_id": member.id, "held_on": "2026-11-09", "content": RECORD, "title": "二回目"}
        assert client.post("/api/v1/one-on-ones", json=body, headers=headers).status_code == 201
    with factory() as session:
        ids = list(session.scalars(sa.select(Analysis.id)))
    for analysis_id in ids:
        analyses.run(factory, settings, analysis_id)
    engine.dispose()


def _dump(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    engine = create_db_engine(settings)
    try:
        with engine.connect() as connection:
            return backup.dump_tables(connection)
    finally:
        engine.dispose()


def _round_trip(source: Settings, target: Settings, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    _fill(source)
    before = _dump(source)
    summary = backup.create_backup(source, tmp_path / "out")
    backup.restore_backup(target, summary.path)
    after = _dump(target)
    assert set(after) == {table.name for table in Base.metadata.sorted_tables}
    for name, rows in before.items():
        assert after[name] == rows, name
    return before


def _logs_in_and_writes(target: Settings) -> None:
    with TestClient(make_app(target)) as client:
        response = client.post("/api/v1/auth/token", json={"email": "admin@example.com", "password": PASSWORD})
        assert response.status_code == 200
        headers = auth_headers(response.json()["access_token"])
        member = client.get("/api/v1/users", headers=headers).json()["items"]
        member_id = next(user["id"] for user in member if user["email"] == "kohai@example.com")
        body = {"member_id": member_id, "held_on": "2026-11-16", "content": RECORD}
        assert client.post("/api/v1/one-on-ones", json=body, headers=headers).status_code == 201


def test_sqlite_to_sqlite_restores_every_row(tmp_path: Path) -> None:
    before = _round_trip(_sqlite(tmp_path, "a"), _sqlite(tmp_path, "b"), tmp_path)
    assert {name for name, rows in before.items() if rows} >= {
        "users",
        "auth_tokens",
        "one_on_ones",
        "record_uploads",
        "analyses",
        "audit_events",
        "maintenance_state",
    }
    _logs_in_and_writes(_sqlite(tmp_path, "b"))


@pytest.mark.postgres
def test_sqlite_to_postgresql_restores_every_row_and_moves_the_sequences(
    tmp_path: Path, fresh_postgres: Settings
) -> None:
    _round_trip(_sqlite(tmp_path, "a"), fresh_postgres, tmp_path)
    _logs_in_and_writes(fresh_postgres)


@pytest.mark.postgres
def test_postgresql_to_sqlite_restores_every_row(tmp_path: Path, fresh_postgres: Settings) -> None:
    _round_trip(fresh_postgres, _sqlite(tmp_path, "b"), tmp_path)
    _logs_in_and_writes(_sqlite(tmp_path, "b"))


def test_the_uploaded_bytes_come_back_exactly(tmp_path: Path) -> None:
    before = _round_trip(_sqlite(tmp_path, "a"), _sqlite(tmp_path, "b"), tmp_path)
    (upload,) = before["record_uploads"]
    target = _dump(_sqlite(tmp_path, "b"))
    assert target["record_uploads"][0]["data"] == upload["data"]
    assert backup.decode_value(upload["data"], sa.LargeBinary()) == RECORD.encode("cp932")


def test_the_manifest_names_revision_rows_and_checksums(tmp_path: Path) -> None:
    source = _sqlite(tmp_path, "a")
    _fill(source)
    summary = backup.create_backup(source, tmp_path / "out")
    manifest = backup.verify_archive(summary.path).manifest
    assert manifest["schema_revision"] == summary.revision
    assert manifest["tables"]["users"]["rows"] == 3
    assert len(manifest["tables"]["users"]["sha256"]) == 64
    assert set(manifest["tables"]) == {table.name for table in Base.metadata.sorted_tables}


# --- refusals --------------------------------------------------------------------------------------------------


def _archive(tmp_path: Path) -> Path:
    source = _sqlite(tmp_path, "a")
    _fill(source)
    return backup.create_backup(source, tmp_path / "out").path


def _rewrite(archive: Path, *, change: str | None = None, drop: str | None = None) -> Path:
    damaged = archive.with_name("damaged.tar.gz")
    with tarfile.open(archive, "r:gz") as source, tarfile.open(damaged, "w:gz") as target:
        for member in source:
            if member.name == drop:
                continue
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == change:
                data = data.replace(b"kohai", b"kohaj")
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return damaged


def _refused(target: Settings, archive: Path, message: str) -> None:
    with pytest.raises(backup.BackupError, match=message):
        backup.restore_backup(target, archive)
    engine = create_db_engine(target)
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            if "users" in names:
                assert connection.scalar(sa.select(sa.func.count()).select_from(sa.table("users"))) == 0
    finally:
        engine.dispose()


def test_a_changed_table_file_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    damaged = _rewrite(_archive(tmp_path), change="tables/users.jsonl")
    _refused(_sqlite(tmp_path, "b"), damaged, "チェックサムが一致しません")


def test_a_missing_table_file_is_refused(tmp_path: Path) -> None:
    damaged = _rewrite(_archive(tmp_path), drop="tables/analyses.jsonl")
    _refused(_sqlite(tmp_path, "b"), damaged, "不完全")


def test_a_truncated_archive_is_refused(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    partial = archive.with_name("partial.tar.gz")
    partial.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    _refused(_sqlite(tmp_path, "b"), partial, "途中までしかありません")


def test_a_database_with_data_is_never_overwritten(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    with pytest.raises(backup.BackupError, match="空ではありません"):
        backup.restore_backup(_sqlite(tmp_path, "a"), archive)


# --- the commands ----------------------------------------------------------------------------------------------


def test_backup_create_and_restore_commands_are_audited(
    cli: CliRunner, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(settings)
    result = cli.invoke(cli_app, ["backup", "create", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (archive,) = (tmp_path / "out").glob("*.tar.gz")
    assert cli.invoke(cli_app, ["backup", "verify", str(archive)]).exit_code == 0
    target = tmp_path / "restored"
    monkeypatch.setenv("SALES_GROWTH_DATA_DIR", str(target))
    monkeypatch.delenv("SALES_GROWTH_DATABASE_URL", raising=False)
    from sales_growth.settings import get_settings

    get_settings.cache_clear()
    result = cli.invoke(cli_app, ["backup", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "復元しました" in result.output
    assert _dump(settings)["audit_events"][-1]["action"] == "backup_created"
    restored = _dump(_sqlite(tmp_path, "restored"))["audit_events"]
    assert restored[-1]["action"] == "backup_restored"
    assert restored[-1]["details"]["file"] == archive.name


def test_restore_of_a_damaged_file_fails_with_a_japanese_message(cli: CliRunner, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    result = cli.invoke(cli_app, ["backup", "restore", str(bogus)])
    assert result.exit_code == 1
    assert "読み取れません" in result.output
    assert "Traceback" not in result.output


def test_tokens_keep_working_after_a_restore(tmp_path: Path) -> None:
    source = _sqlite(tmp_path, "a")
    _fill(source)
    engine = create_db_engine(source)
    with transaction(create_session_factory(engine)) as session:
        admin = session.scalars(sa.select(User).where(User.email == "admin@example.com")).one()
        token = make_token(session, admin, source, kind=TokenKind.API)
    engine.dispose()
    target = _sqlite(tmp_path, "b")
    backup.restore_backup(target, backup.create_backup(source, tmp_path / "out").path)
    with TestClient(make_app(target)) as client:
        assert client.get("/api/v1/me", headers=auth_headers(token)).json()["email"] == "admin@example.com"
