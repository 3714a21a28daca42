"""Database plumbing: the declarative base, engines, sessions and schema migration.

The request (or the job) owns the transaction: services only ``flush()``; the caller commits.
"""

from __future__ import annotations

import functools
import re
import select
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from psycopg import ServerCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import DateTime, MetaData, create_engine, event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from sales_growth.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use sales_growth.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Reads through a shared memory map of the file instead of copies into each connection's own cache.
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def create_db_engine(settings: Settings) -> Engine:
    """An engine for the configured database; SQLite gets WAL and foreign keys."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(settings.resolved_database_url)
        # A file keeps all its connections open (an in-memory database keeps SQLAlchemy's own pool): a new SQLite
        # connection reads the schema again and starts with an empty page cache, so closing the overflow ones on
        # return, as a QueuePool does, made every query slower under load.
        in_file = bool(url.database) and url.database != ":memory:"
        pool = {"pool_size": settings.db_pool_size + settings.db_max_overflow, "max_overflow": 0} if in_file else {}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow, isolation_level="AUTOCOMMIT"
    )
    event.listen(engine, "checkout", _replace_if_closed_by_server)
    event.listen(engine, "before_cursor_execute", _begin_before_writing)
    return engine


def _begin_before_writing(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
    """On PostgreSQL, a transaction begins at its first write, not at its first read.

    The connections are in autocommit, so that a request which only reads (most of them) costs no ``BEGIN`` and
    no ``COMMIT``: two of its five to twelve round trips. An explicit ``BEGIN`` goes before any statement that is
    not a query which only reads (a write, a ``SELECT ... FOR UPDATE``, a savepoint) and before a query read
    through a cursor on the server (an export's), which lives in a transaction. From there the driver's
    ``commit()`` and ``rollback()`` end that transaction as before: they act on the server's state, not on the
    autocommit flag. What the reads see does not change: at PostgreSQL's READ COMMITTED each statement of a
    transaction sees the data committed when it starts, as a statement on its own does. A connection given another
    isolation level (the backup's REPEATABLE READ) is not in autocommit, and the driver begins its transaction.
    """
    connection = cursor.connection
    if not connection.autocommit or connection.pgconn.transaction_status != TransactionStatus.IDLE:
        return  # another isolation level, or a transaction already open on the server
    streamed = isinstance(cursor, ServerCursor)  # its DECLARE needs a transaction
    if streamed or not _only_reads(statement):
        connection.execute("BEGIN")


_READING = re.compile(r"\s*(?:SELECT|WITH)\b", re.IGNORECASE)
_WRITING = re.compile(
    r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b|\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE
)


@functools.lru_cache(maxsize=4096)  # the statements are the few the app compiles, again and again
def _only_reads(statement: str) -> bool:
    """A ``SELECT`` (or a ``WITH`` query: the hierarchy's recursive ones) that writes nothing and locks no rows."""
    return bool(_READING.match(statement)) and not _WRITING.search(statement)


def _replace_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Check out only connections the server still holds, without a round trip to it.

    An idle connection has nothing to read: every reply was read with its query. If its socket is readable, the
    server has closed it (a restart, ``pg_terminate_backend``, an idle timeout) or sent it something unasked; the
    pool then opens another (``DisconnectionError``). This replaces SQLAlchemy's ``pool_pre_ping``, which sent a
    query at every checkout (and switched autocommit on and off around it): one of a page's five to thirteen round
    trips.
    """
    if dbapi_connection.closed:
        raise exc.DisconnectionError("the connection is closed")
    poll = select.poll()
    poll.register(dbapi_connection.fileno(), select.POLLIN)
    if poll.poll(0):  # data, end of file, or an error on the socket
        raise exc.DisconnectionError("the database server closed the connection")


def create_session_factory(engine: Engine, cache: Any = None) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``cache`` (a :class:`sales_growth.ops.cache.Cache`), their writes invalidate it."""
    return sessionmaker(bind=engine, expire_on_commit=False, info={"cache": cache} if cache is not None else {})


_DEFERRED_WRITES = "deferred_writes"


def write_after_commit(session: Session, statement: Executable) -> None:
    """Run ``statement`` once the session's transaction commits, in a short transaction of its own; dropped if
    it rolls back. For bookkeeping that need not be atomic with the rest (a token's last use): written early in a
    request, it would hold SQLite's one write lock until the request ends, and every other writer would wait."""
    session.info.setdefault(_DEFERRED_WRITES, []).append(statement)


def commit(session: Session) -> None:
    """Commit, then the writes deferred by :func:`write_after_commit`."""
    session.commit()
    deferred = session.info.pop(_DEFERRED_WRITES, [])
    if deferred:
        for statement in deferred:
            session.execute(statement)
        session.commit()


@event.listens_for(Session, "after_rollback")
def _drop_deferred_writes(session: Session) -> None:
    session.info.pop(_DEFERRED_WRITES, None)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error (CLI and jobs)."""
    with factory() as session:
        try:
            yield session
            commit(session)
        except BaseException:
            session.rollback()
            raise


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_schema(settings: Settings, revision: str = "head") -> None:
    """Migrate the configured database to ``revision`` (the latest by default).

    On a fresh machine the data folder does not exist yet: it is created first, so the first start just works.
    """
    _ensure_sqlite_folder(settings.resolved_database_url)
    command.upgrade(alembic_config(settings.resolved_database_url), revision)
    refresh_sqlite_statistics(settings)


def refresh_sqlite_statistics(settings: Settings) -> None:
    """Give SQLite's planner row counts (``ANALYZE``, sampled so that it stays quick on a large file).

    Without them it guesses, and picks the wrong index for some of the pages' queries (the status index over
    the record one for a member's latest analyses: a scan of every analysis, 10-30 ms a page at 1,000 users).
    PostgreSQL keeps its own statistics (autovacuum).
    """
    if not settings.is_sqlite:
        return
    engine = create_db_engine(settings)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    finally:
        engine.dispose()


def _ensure_sqlite_folder(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
