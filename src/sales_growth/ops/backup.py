"""Full, verifiable backups and restores of all application data, between SQLite and PostgreSQL alike.

An archive (``.tar.gz``) holds one JSON Lines file per table of ``Base.metadata`` (so tables added later are
covered without a hand list), the files under ``DATA_DIR/uploads`` if any, and ``manifest.json`` with the schema
revision, the row count and the SHA-256 of every file. The snapshot is consistent: PostgreSQL is read in one
REPEATABLE READ, READ ONLY transaction; SQLite is first copied with its online backup API and read from the copy.

A restore checks every checksum before it writes anything, and refuses a damaged or partial archive with a
Japanese message. It restores into an empty database of either kind: the schema is migrated to the archive's
revision, the rows are inserted in foreign-key order (self-references filled in afterwards), PostgreSQL sequences
are moved past the restored ids, and the schema is migrated to head.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine, make_url

from sales_growth import models  # noqa: F401  (registers every table on Base.metadata)
from sales_growth.db import Base, alembic_config, create_db_engine, utcnow
from sales_growth.errors import DomainError
from sales_growth.settings import Settings

FORMAT = "sales-growth-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS_DIR = "uploads"
_BATCH = 1000


class BackupError(DomainError):
    """A backup that cannot be made or restored; the message says why, in Japanese."""

    status_code = 422
    code = "backup_failed"


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    revision: str
    rows: dict[str, int]
    files: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# --- values ----------------------------------------------------------------------------------------------------


def encode_value(value: Any) -> Any:
    """A column value as JSON: date-times in UTC ISO form, dates ISO, bytes in base64, JSON as itself."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_value(value: Any, column_type: sa.types.TypeEngine[Any]) -> Any:
    """The inverse of :func:`encode_value`, guided by the target column's type."""
    if value is None:
        return None
    if isinstance(column_type, sa.DateTime):
        return datetime.fromisoformat(value).astimezone(UTC)
    if isinstance(column_type, sa.Date):
        return date.fromisoformat(value)
    if isinstance(column_type, sa.LargeBinary):
        return base64.b64decode(value)
    return value


def encode_row(row: sa.Row[Any]) -> dict[str, Any]:
    return {key: encode_value(value) for key, value in row._mapping.items()}


def _table_rows(connection: Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(yield_per=_BATCH).execute(sa.select(table).order_by(*order))
    for row in result:
        yield encode_row(row)


def dump_tables(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every application table, encoded as a backup stores it (the round-trip tests compare these)."""
    return {table.name: list(_table_rows(connection, table)) for table in Base.metadata.sorted_tables}


# --- create ----------------------------------------------------------------------------------------------------


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _snapshot(settings: Settings) -> Iterator[Connection]:
    """One connection that sees a single consistent state of the database for the whole read."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sales-growth-backup-") as folder:
            copy = Path(folder) / "snapshot.db"
            source, target = sqlite3.connect(str(url.database)), sqlite3.connect(str(copy))
            try:
                source.backup(target)  # an online, consistent copy even while the app writes
            finally:
                source.close()
                target.close()
            engine = sa.create_engine(f"sqlite:///{copy}")
            try:
                with engine.connect() as connection:
                    yield connection
            finally:
                engine.dispose()
        return
    engine = create_db_engine(settings)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield connection
    finally:
        engine.dispose()


def create_backup(settings: Settings, out_dir: Path, *, now: datetime | None = None) -> BackupSummary:
    """Write a consistent, verifiable archive of all application data into ``out_dir``; the schema must be at head."""
    moment = now or utcnow()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"sales-growth-backup-{moment:%Y%m%d-%H%M%S}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="sales-growth-backup-") as folder:
        staging = Path(folder)
        with _snapshot(settings) as connection:
            revision = current_revision(connection)
            if revision is None:
                raise BackupError(
                    "データベースにスキーマがありません。先に sales-growth db upgrade を実行してください。"
                )
            tables = _write_tables(connection, staging)
        files = _copy_uploads(settings.data_dir / UPLOADS_DIR, staging)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": moment.isoformat(),
            "schema_revision": revision,
            "source_dialect": make_url(settings.resolved_database_url).get_backend_name(),
            "tables": tables,
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = path.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as archive:
            for item in sorted(staging.rglob("*")):
                if item.is_file():
                    archive.add(item, arcname=item.relative_to(staging).as_posix())
        partial.replace(path)  # a crash mid-write never leaves a complete-looking archive behind
    rows = {name: info["rows"] for name, info in tables.items()}
    return BackupSummary(path=path, revision=revision, rows=rows, files=len(files))


def _write_tables(connection: Connection, staging: Path) -> dict[str, dict[str, Any]]:
    (staging / "tables").mkdir()
    tables: dict[str, dict[str, Any]] = {}
    for table in Base.metadata.sorted_tables:
        name = f"tables/{table.name}.jsonl"
        digest, count = hashlib.sha256(), 0
        with (staging / name).open("wb") as handle:
            for row in _table_rows(connection, table):
                line = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
                handle.write(line)
                digest.update(line)
                count += 1
        tables[table.name] = {"file": name, "rows": count, "sha256": digest.hexdigest()}
    return tables


def _copy_uploads(source: Path, staging: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    if not source.is_dir():
        return files
    for item in sorted(source.rglob("*")):
        if item.is_file():
            name = f"files/{UPLOADS_DIR}/{item.relative_to(source).as_posix()}"
            data = item.read_bytes()
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
            files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return files


# --- verify ----------------------------------------------------------------------------------------------------


@dataclass
class VerifiedArchive:
    manifest: dict[str, Any]
    contents: dict[str, bytes]


def verify_archive(path: Path) -> VerifiedArchive:
    """Read the whole archive and check every file against the manifest; raise :class:`BackupError` otherwise."""
    if not path.is_file():
        raise BackupError(f"バックアップファイルが見つかりません: {path}")
    contents = _read_members(path)
    try:
        manifest = json.loads(contents.pop(MANIFEST))
    except KeyError:
        raise BackupError(f"バックアップに {MANIFEST} がありません（不完全なファイルです）: {path.name}") from None
    except ValueError:
        raise BackupError(f"バックアップの {MANIFEST} が壊れています: {path.name}") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"営業グロースAIのバックアップではないか、対応していない形式です: {path.name}")
    expected = {info["file"]: info["sha256"] for info in manifest["tables"].values()}
    expected |= {name: info["sha256"] for name, info in manifest.get("files", {}).items()}
    for name, digest in expected.items():
        if name not in contents:
            raise BackupError(f"バックアップが不完全です（{name} がありません）。別のバックアップを使ってください。")
        if hashlib.sha256(contents[name]).hexdigest() != digest:
            raise BackupError(
                f"バックアップが壊れています（{name} のチェックサムが一致しません）。別のバックアップを使ってください。"
            )
    for table, info in manifest["tables"].items():
        if contents[info["file"]].count(b"\n") != info["rows"]:
            raise BackupError(f"バックアップが壊れています（{table} の行数が一致しません）。")
    return VerifiedArchive(manifest=manifest, contents=contents)


def _read_members(path: Path) -> dict[str, bytes]:
    contents: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
                    raise BackupError(f"バックアップに不正なパスが含まれています: {member.name}")
                if member.isfile():
                    handle = archive.extractfile(member)
                    contents[name.as_posix()] = handle.read() if handle else b""
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(
            f"バックアップファイルを読み取れません（壊れているか、途中までしかありません）: {path.name}"
        ) from exc
    return contents


# --- restore ---------------------------------------------------------------------------------------------------


def restore_backup(settings: Settings, path: Path) -> BackupSummary:
    """Restore ``path`` into the configured database, which must hold no rows; ends migrated to head."""
    verified = verify_archive(path)
    revision = verified.manifest["schema_revision"]
    _require_known_revision(settings, revision)
    engine = create_db_engine(settings)
    try:
        _prepare_empty_schema(settings, engine, revision)
        with engine.begin() as connection:
            rows = _insert_all(connection, verified)
            if connection.dialect.name == "postgresql":
                _fix_sequences(connection)
    finally:
        engine.dispose()
    command.upgrade(alembic_config(settings.resolved_database_url), "head")
    files = _restore_files(settings.data_dir, verified)
    return BackupSummary(path=path, revision=revision, rows=rows, files=files)


def _require_known_revision(settings: Settings, revision: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(settings.resolved_database_url))
    try:
        scripts.get_revision(revision)
    except Exception as exc:  # alembic raises several kinds for an unknown id
        raise BackupError(
            f"このバックアップのスキーマ版（{revision}）は、このバージョンのアプリでは復元できません。"
        ) from exc


def _prepare_empty_schema(settings: Settings, engine: Engine, revision: str) -> None:
    """Refuse a database holding any row; bring its schema to ``revision`` (from scratch if it is elsewhere)."""
    with engine.connect() as connection:
        existing = sa.MetaData()
        existing.reflect(connection)
        for table in existing.sorted_tables:
            if table.name != "alembic_version" and connection.scalar(sa.select(sa.func.count()).select_from(table)):
                raise BackupError(
                    f"復元先のデータベースが空ではありません（{table.name} にデータがあります）。"
                    "空のデータベースを指定してください。"
                )
        current = current_revision(connection)
    if current is not None and current != revision:
        with engine.begin() as connection:
            existing.drop_all(connection)  # empty tables of another revision: start the schema afresh
    command.upgrade(alembic_config(settings.resolved_database_url), revision)


def _insert_all(connection: Connection, verified: VerifiedArchive) -> dict[str, int]:
    """Insert every table's rows, parents first. Columns pointing at their own table (or at one inserted later)
    are left empty on insert and filled in once every row is there."""
    target = sa.MetaData()
    target.reflect(connection)
    missing = set(verified.manifest["tables"]) - set(target.tables)
    if missing:
        raise BackupError(f"復元先のスキーマにないテーブルがあります: {', '.join(sorted(missing))}")
    order = [table for table in target.sorted_tables if table.name in verified.manifest["tables"]]
    position = {table.name: index for index, table in enumerate(order)}
    rows: dict[str, int] = {}
    pending: list[tuple[sa.Table, list[str], list[dict[str, Any]]]] = []
    for table in order:
        info = verified.manifest["tables"][table.name]
        records = [_decoded(table, json.loads(line)) for line in verified.contents[info["file"]].splitlines()]
        later = [
            fk.parent.name
            for fk in table.foreign_keys
            if position.get(fk.column.table.name, -1) >= position[table.name]
        ]
        for start in range(0, len(records), _BATCH):
            batch = [{**record, **dict.fromkeys(later)} for record in records[start : start + _BATCH]]
            if batch:
                connection.execute(table.insert(), batch)
        if later:
            pending.append((table, later, records))
        rows[table.name] = len(records)
    for table, columns, records in pending:
        _fill_in(connection, table, columns, records)
    return rows


def _decoded(table: sa.Table, record: dict[str, Any]) -> dict[str, Any]:
    unknown = set(record) - set(table.columns.keys())
    if unknown:
        raise BackupError(f"バックアップの {table.name} に、スキーマにない列があります: {', '.join(sorted(unknown))}")
    return {name: decode_value(value, table.columns[name].type) for name, value in record.items()}


def _fill_in(connection: Connection, table: sa.Table, columns: list[str], records: list[dict[str, Any]]) -> None:
    keys = list(table.primary_key.columns)
    for record in records:
        values = {name: record[name] for name in columns if record.get(name) is not None}
        if values:
            condition = sa.and_(*(key == record[key.name] for key in keys))
            connection.execute(table.update().where(condition).values(**values))


def _fix_sequences(connection: Connection) -> None:
    """Move each serial/identity sequence past the largest restored id, so new rows do not collide."""
    for table in Base.metadata.sorted_tables:
        keys = [column for column in table.primary_key.columns if isinstance(column.type, sa.Integer)]
        if len(keys) != 1:
            continue
        key = keys[0]
        sequence = connection.scalar(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": key.name}
        )
        if sequence:
            largest = connection.scalar(sa.select(sa.func.max(key)))
            # is_called false: the next id is exactly 1 on an empty table, else one past the largest.
            connection.execute(
                sa.text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": largest or 1, "called": largest is not None},
            )


def _restore_files(data_dir: Path, verified: VerifiedArchive) -> int:
    count = 0
    for name in verified.manifest.get("files", {}):
        relative = PurePosixPath(name).relative_to("files")
        target = data_dir.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(verified.contents[name])
        count += 1
    return count
