"""The task queue (Huey) and the periodic tasks.

Storage: SQLite in the data folder by default, Redis when ``SALES_GROWTH_REDIS_URL`` is set. Each process calls
:func:`configure` once with its settings (``serve``, ``worker``, the CLI, tests). Tasks take ids, open their own
session and are safe to run twice: the database rows, not the queue, are the record of truth.

Jobs are enqueued only after the transaction that created their rows commits (:func:`enqueue_after_commit`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import Huey, crontab
from huey.consumer import Consumer
from huey.exceptions import TaskLockedException
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.ops.cache import make_cache
from sales_growth.settings import Settings

logger = logging.getLogger(__name__)

QUEUE_NAME = "sales-growth"
_AFTER_COMMIT = "sales_growth_after_commit"

# Tasks are registered on this instance at import; configure() gives it the storage of the settings.
# Until then jobs land in memory and are lost with the process; the sweeper re-enqueues their rows.
huey = Huey(QUEUE_NAME, results=False, storage_class=MemoryStorage)


@dataclass
class _Context:
    settings: Settings | None = None
    session_factory: sessionmaker[Session] | None = None


_context = _Context()


def configure(settings: Settings) -> None:
    """Point the queue at the configured storage and give tasks a database of their own."""
    huey.storage = _storage(settings)
    _context.settings = settings
    cache = make_cache(settings.redis_url, settings.data_dir)
    _context.session_factory = create_session_factory(create_db_engine(settings), cache)


def _storage(settings: Settings) -> SqliteStorage | RedisStorage:
    if settings.redis_url:
        return RedisStorage(QUEUE_NAME, url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(QUEUE_NAME, filename=str(settings.data_dir / "queue.db"))


def job_settings() -> Settings:
    if _context.settings is None:
        raise RuntimeError("jobs.configure(settings) was not called in this process")
    return _context.settings


def job_session_factory() -> sessionmaker[Session]:
    if _context.session_factory is None:
        raise RuntimeError("jobs.configure(settings) was not called in this process")
    return _context.session_factory


def worker_name() -> str:
    """Who claims a job: host and process, so a restarted process can recognise its own orphans."""
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue_after_commit(session: Session, enqueue: Callable[[], Any]) -> None:
    """Run ``enqueue`` once ``session`` commits; drop it if the transaction rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(enqueue)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    for enqueue in session.info.pop(_AFTER_COMMIT, []):
        try:
            enqueue()
        except Exception:  # the row stays queued; the sweeper enqueues it again
            logger.exception("could not enqueue a job after commit; the sweeper will retry it")


@event.listens_for(Session, "after_rollback")
def _drop_uncommitted(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer run inside another process (``serve``): it leaves signal handling to its host."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded_consumer(*, workers: int = 2, periodic: bool = True) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(
        huey, workers=workers, worker_type="thread", periodic=periodic, initial_delay=0.1, max_delay=1.0, backoff=1.15
    )
    consumer.start()
    return consumer


def run_consumer(*, workers: int, periodic: bool) -> None:
    """Run a consumer in the foreground until a signal stops it (``sales-growth worker``)."""
    consumer = huey.create_consumer(
        workers=workers, worker_type="thread", periodic=periodic, initial_delay=0.1, max_delay=1.0, backoff=1.15
    )
    consumer.run()


@huey.task(name="run_analysis")
def run_analysis(analysis_id: int) -> None:
    from sales_growth.one_on_ones import analyses

    analyses.run(job_session_factory(), job_settings(), analysis_id)


@huey.periodic_task(crontab(minute="*"), name="sweep_analyses")
def sweep_analyses() -> None:
    """Re-queue analyses whose worker died (stale heartbeat) or whose job never reached the queue."""
    from sales_growth.one_on_ones import analyses

    try:
        with huey.lock_task("sweep_analyses"):
            analyses.sweep(job_session_factory(), job_settings())
    except TaskLockedException:
        logger.info("another process is sweeping analyses")


@huey.periodic_task(crontab(minute="7"), name="scheduled_backup")
def scheduled_backup() -> None:
    """Hourly: take the daily backup when it is due (see :mod:`sales_growth.ops.schedule`), one worker at a time."""
    from sales_growth.ops import schedule

    settings = job_settings()
    if not settings.backup_schedule:
        return
    try:
        with huey.lock_task("scheduled_backup"):
            schedule.run(settings)
    except TaskLockedException:
        logger.info("another process is taking the scheduled backup")
