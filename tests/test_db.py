"""The engine on PostgreSQL: a connection the server has closed is replaced at checkout, a checkout costs no round
trip to the server, and a transaction begins at its first write (reads alone cost no BEGIN and no COMMIT)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, select, text
from sqlalchemy.exc import OperationalError

from sales_growth.db import create_db_engine, create_session_factory, transaction
from sales_growth.ops.models import MaintenanceState
from sales_growth.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url: str, tmp_path: Path) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, env="test", db_pool_size=3, db_max_overflow=0)
    engine = create_db_engine(settings)
    yield engine
    with engine.begin() as connection:
        connection.execute(delete(MaintenanceState))
    engine.dispose()


@pytest.fixture
def admin(postgres_url: str) -> Iterator[Engine]:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        pid: int = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid


def terminate(admin: Engine, pids: list[int]) -> None:
    """What a server restart does to the pool's connections: each backend ends, and tells its client so."""
    with admin.connect() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            alive = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"), {"pids": pids}
            ).scalar_one()
            if not alive:
                return
            time.sleep(0.05)
    raise AssertionError(f"backends {pids} still running")


def test_a_connection_the_server_closed_is_replaced_without_an_error(engine: Engine, admin: Engine) -> None:
    first = backend_pid(engine)
    terminate(admin, [first])
    assert backend_pid(engine) != first  # a new connection, and no OperationalError


def test_every_connection_of_the_pool_is_replaced_after_a_restart(engine: Engine, admin: Engine) -> None:
    held = [engine.connect() for _ in range(3)]
    pids = [c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in held]
    for connection in held:
        connection.close()
    terminate(admin, pids)
    again = [engine.connect() for _ in range(3)]
    try:
        new = {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in again}
    finally:
        for connection in again:
            connection.close()
    assert len(new) == 3
    assert not new & set(pids)


def last_statement(admin: Engine, pid: int) -> str:
    with admin.connect() as watcher:
        query = watcher.execute(text("SELECT query FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
        last: str = query.scalar_one()
    return last


def test_a_live_connection_is_kept_and_checked_out_without_a_query(engine: Engine, admin: Engine) -> None:
    pid = backend_pid(engine)
    with engine.connect() as connection:
        # Nothing ran since the last query: no ping at checkout (it shows as ";"), no rollback at the return.
        assert last_statement(admin, pid) == "SELECT pg_backend_pid()"
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid


def test_reads_alone_open_no_transaction(engine: Engine, admin: Engine) -> None:
    with transaction(create_session_factory(engine)) as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        session.scalars(select(MaintenanceState)).all()
    assert last_statement(admin, pid).startswith("SELECT maintenance_state.id")  # no BEGIN before, no COMMIT after


def test_writes_are_one_transaction_still(engine: Engine) -> None:
    factory = create_session_factory(engine)

    def read_write_then_fail() -> None:
        with transaction(factory) as session:
            session.scalars(select(MaintenanceState)).all()
            session.add(MaintenanceState(id=1, active=True))
            session.flush()
            session.add(MaintenanceState(id=2, active=False))
            session.flush()
            raise RuntimeError("the request fails after its writes")

    with pytest.raises(RuntimeError):
        read_write_then_fail()
    with transaction(factory) as session:
        assert session.scalars(select(MaintenanceState)).all() == []
    with transaction(factory) as session:
        session.add(MaintenanceState(id=1, active=True))
    with transaction(factory) as session:
        assert session.get(MaintenanceState, 1) is not None


def test_a_row_read_for_update_stays_locked_until_the_commit(engine: Engine, admin: Engine) -> None:
    factory = create_session_factory(engine)
    with transaction(factory) as session:
        session.add(MaintenanceState(id=1, active=False))
    with transaction(factory) as session:
        session.get(MaintenanceState, 1, with_for_update=True)
        with admin.connect() as other, pytest.raises(OperationalError, match="could not obtain lock"):
            other.execute(text("SELECT id FROM maintenance_state WHERE id = 1 FOR UPDATE NOWAIT"))
    with admin.connect() as other:  # committed: the lock is gone
        assert other.execute(text("SELECT id FROM maintenance_state WHERE id = 1 FOR UPDATE NOWAIT")).scalar_one() == 1


def test_rows_streamed_through_a_cursor_on_the_server(engine: Engine) -> None:
    """An export reads its rows in batches through a cursor on the server, which needs a transaction."""
    factory = create_session_factory(engine)
    with transaction(factory) as session:
        session.add_all(MaintenanceState(id=n) for n in (1, 2, 3))
    with transaction(factory) as session:
        query = select(MaintenanceState.id).order_by(MaintenanceState.id).execution_options(yield_per=2)
        assert list(session.scalars(query)) == [1, 2, 3]
