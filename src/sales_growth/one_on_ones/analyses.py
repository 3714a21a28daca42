"""Analysis runs of 1on1 records: queued → running → succeeded | failed, never silently lost.

The ``analyses`` row is the record of truth. A run is claimed with a conditional UPDATE, so a job delivered
twice runs once; its outcome is written only while the claim still holds, so a run that was swept away from a
dead worker cannot overwrite the retry that replaced it. A heartbeat thread keeps ``heartbeat_at`` fresh while
the engine works; the sweeper re-queues runs whose heartbeat went stale.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from sales_growth import jobs
from sales_growth.analysis.models import Analyzer, OpenItem
from sales_growth.analysis.progress import progress_on
from sales_growth.db import transaction, utcnow
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne
from sales_growth.ops import metrics
from sales_growth.ops.cache import TEAM_VERSION, invalidate_after_commit
from sales_growth.settings import Settings

logger = logging.getLogger(__name__)

FAILED_MESSAGE = "分析に失敗しました（{attempts}回試行）。時間をおいて「再分析」を押してください。原因: {reason}"
WORKER_DIED = "分析中に処理が停止しました"


def start(session: Session, record: OneOnOne, *, engine: str) -> Analysis:
    """Create a queued run for ``record``; the job is enqueued once the caller's transaction commits."""
    analysis = Analysis(one_on_one_id=record.id, engine=engine, status=AnalysisStatus.QUEUED, stage="queued")
    session.add(analysis)
    session.flush()
    analysis_id = analysis.id
    jobs.enqueue_after_commit(session, lambda: jobs.run_analysis(analysis_id))
    return analysis


def latest(session: Session, record_id: int) -> Analysis | None:
    return session.scalar(_latest(), {"record_id": record_id})


@cache
def _latest() -> Select[Analysis]:  # SQLAlchemy 2.1 spelling
    query = select(Analysis).where(Analysis.one_on_one_id == bindparam("record_id"))
    return query.order_by(Analysis.id.desc()).limit(1)


def as_dict(analysis: Analysis, *, with_result: bool = True) -> dict[str, Any]:
    """The API form: ``{id, status, stage, progress, result?, error?, ...}``."""
    body: dict[str, Any] = {
        "id": analysis.id,
        "status": analysis.status,
        "stage": analysis.stage,
        "progress": analysis.progress,
        "attempts": analysis.attempts,
        "engine": analysis.engine,
        "error": analysis.error,
        "queued_at": analysis.queued_at,
        "started_at": analysis.started_at,
        "finished_at": analysis.finished_at,
        "duration_ms": analysis.duration_ms,
    }
    if with_result:
        body["result"] = analysis.result
    return body


def run(factory: sessionmaker[Session], settings: Settings, analysis_id: int) -> None:
    """Run one analysis if it is still queued (the job's body; safe to call twice)."""
    claim = _claim(factory, analysis_id)
    if claim is None:
        return
    attempt, text, held_on, open_items = claim
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(factory, analysis_id, attempt, stop, settings), daemon=True, name="heartbeat"
    )
    beat.start()
    started = time.perf_counter()
    try:
        result = analyzer_for(settings).analyze(text, session_date=held_on)
        if open_items:
            result = result.model_copy(update={"item_progress": progress_on(text, open_items)})
    except Exception as exc:  # any engine failure is retried, then reported; it never escapes the job
        logger.warning("analysis %s attempt %s failed: %s", analysis_id, attempt, type(exc).__name__)
        final = _retry_or_fail(factory, settings, analysis_id, attempt, _reason(exc))
        metrics.observe_analysis("failed" if final else "retried", time.perf_counter() - started)
        return
    finally:
        stop.set()
        beat.join()
    _succeed(factory, analysis_id, attempt, result.model_dump(mode="json"), started)
    metrics.observe_analysis("succeeded", time.perf_counter() - started)


def analyzer_for(settings: Settings) -> Analyzer:
    """The configured engine; an engine that cannot answer falls back to the built-in one by itself."""
    from sales_growth.analysis.engines import get_analyzer

    return get_analyzer(settings)


def _claim(factory: sessionmaker[Session], analysis_id: int) -> tuple[int, str, Any, list[OpenItem]] | None:
    with transaction(factory) as session:
        now = utcnow()
        claimed = session.execute(
            update(Analysis)
            .where(Analysis.id == analysis_id, Analysis.status == AnalysisStatus.QUEUED)
            .values(
                status=AnalysisStatus.RUNNING,
                stage="analyzing",
                progress=10,
                attempts=Analysis.attempts + 1,
                started_at=now,
                heartbeat_at=now,
                worker=jobs.worker_name(),
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        _pages_stale(session, analysis_id)
        row = session.execute(
            select(Analysis.attempts, OneOnOne.id, OneOnOne.content, OneOnOne.held_on)
            .join(OneOnOne, OneOnOne.id == Analysis.one_on_one_id)
            .where(Analysis.id == analysis_id)
        ).one()
        return row.attempts, row.content, row.held_on, _open_items(session, row.id)


def _open_items(session: Session, record_id: int) -> list[OpenItem]:
    """The previous plan's open items, whose progress the analysis notes where the record speaks of them."""
    from sales_growth.coaching.service import open_items_for_progress  # coaching builds on records: no cycle

    return open_items_for_progress(session, record_id)


def _pages_stale(session: Session, analysis_id: int) -> None:
    from sales_growth.web.pagecache import bump_analysis  # the pages that show this analysis; no import cycle

    bump_analysis(session, analysis_id)


def _still_ours(analysis_id: int, attempt: int) -> Any:
    return (Analysis.id == analysis_id) & (Analysis.status == AnalysisStatus.RUNNING) & (Analysis.attempts == attempt)


def _heartbeat(
    factory: sessionmaker[Session], analysis_id: int, attempt: int, stop: threading.Event, settings: Settings
) -> None:
    while not stop.wait(settings.analysis_heartbeat_seconds):
        try:
            with transaction(factory) as session:
                session.execute(update(Analysis).where(_still_ours(analysis_id, attempt)).values(heartbeat_at=utcnow()))
        except Exception:  # a missed beat is harmless; the next one tries again
            logger.warning("heartbeat of analysis %s failed", analysis_id)


def _succeed(
    factory: sessionmaker[Session], analysis_id: int, attempt: int, result: dict[str, Any], started: float
) -> None:
    with transaction(factory) as session:
        session.execute(
            update(Analysis)
            .where(_still_ours(analysis_id, attempt))
            .values(
                status=AnalysisStatus.SUCCEEDED,
                stage="done",
                progress=100,
                result=result,
                error=None,
                model=result.get("model"),
                prompt_version=result.get("prompt_version"),
                prompt_tokens=(result.get("usage") or {}).get("prompt_tokens"),
                completion_tokens=(result.get("usage") or {}).get("completion_tokens"),
                finished_at=utcnow(),
                duration_ms=int((time.perf_counter() - started) * 1000),
            )
        )
        # A finished analysis changes the team summaries (challenges); the UPDATE bypasses the ORM's flush.
        invalidate_after_commit(session, bump=[TEAM_VERSION])
        _pages_stale(session, analysis_id)


def _retry_or_fail(
    factory: sessionmaker[Session], settings: Settings, analysis_id: int, attempt: int, reason: str
) -> bool:
    """Queue a retry with backoff, or mark the run failed after its last attempt; True when it failed for good."""
    with transaction(factory) as session:
        if attempt >= settings.analysis_max_attempts:
            values: dict[str, Any] = {
                "status": AnalysisStatus.FAILED,
                "stage": "failed",
                "error": FAILED_MESSAGE.format(attempts=attempt, reason=reason),
                "finished_at": utcnow(),
            }
            session.execute(update(Analysis).where(_still_ours(analysis_id, attempt)).values(**values))
            _pages_stale(session, analysis_id)
            return True
        values = {"status": AnalysisStatus.QUEUED, "stage": "retry_wait", "progress": 0, "error": reason}
        changed = session.execute(update(Analysis).where(_still_ours(analysis_id, attempt)).values(**values))
        _pages_stale(session, analysis_id)
        if changed.rowcount == 1:  # type: ignore[attr-defined]
            delay = settings.analysis_retry_base_seconds * 2 ** (attempt - 1)
            jobs.enqueue_after_commit(session, lambda: jobs.run_analysis.schedule((analysis_id,), delay=delay))
        return False


def _reason(exc: Exception) -> str:
    message = str(exc).strip()
    # Engine errors with Japanese messages are meant for people; anything else is named, not dumped.
    if message and any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in message):
        return message[:300]
    return f"分析エンジンでエラーが発生しました（{type(exc).__name__}）"


def sweep(factory: sessionmaker[Session], settings: Settings) -> int:
    """Re-queue runs whose heartbeat is stale and re-enqueue queued runs that waited too long.

    Returns how many runs were touched. Enqueuing a queued run twice is harmless: only one claim wins.
    """
    cutoff = utcnow() - timedelta(seconds=settings.analysis_stale_seconds)
    with transaction(factory) as session:
        stale = session.scalars(
            select(Analysis).where(Analysis.status == AnalysisStatus.RUNNING, Analysis.heartbeat_at < cutoff)
        ).all()
        waiting = session.scalars(
            select(Analysis.id).where(Analysis.status == AnalysisStatus.QUEUED, Analysis.queued_at < cutoff)
        ).all()
        for analysis in stale:
            _requeue_or_fail(session, settings, analysis)
        for analysis_id in waiting:
            _enqueue(session, analysis_id)
        return len(stale) + len(waiting)


def recover_orphans(factory: sessionmaker[Session], settings: Settings) -> int:
    """At start-up: re-queue running runs claimed on this host by a process that no longer exists."""
    prefix = f"{socket.gethostname()}:"
    with transaction(factory) as session:
        running = session.scalars(
            select(Analysis).where(Analysis.status == AnalysisStatus.RUNNING, Analysis.worker.startswith(prefix))
        ).all()
        orphans = [a for a in running if not _process_alive(a.worker or "")]
        for analysis in orphans:
            _requeue_or_fail(session, settings, analysis)
        return len(orphans)


def _requeue_or_fail(session: Session, settings: Settings, analysis: Analysis) -> None:
    if analysis.attempts >= settings.analysis_max_attempts:
        analysis.status = AnalysisStatus.FAILED
        analysis.stage = "failed"
        analysis.error = FAILED_MESSAGE.format(attempts=analysis.attempts, reason=WORKER_DIED)
        analysis.finished_at = utcnow()
        return
    analysis.status = AnalysisStatus.QUEUED
    analysis.stage = "queued"
    analysis.progress = 0
    analysis.queued_at = utcnow()
    _enqueue(session, analysis.id)


def _enqueue(session: Session, analysis_id: int) -> None:
    jobs.enqueue_after_commit(session, lambda: jobs.run_analysis(analysis_id))


def _process_alive(worker: str) -> bool:
    pid = int(worker.rsplit(":", 1)[-1] or 0)
    # At start-up nothing is claimed by this process yet: a claim with our PID is from an earlier life of it
    # (a restarted container gets the same host name and PID).
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
