"""Analysis runs: queued after commit, claimed once, retried, swept and recovered — never silently lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sales_growth import jobs
from sales_growth.accounts.models import Role, User
from sales_growth.analysis.models import AnalysisResult
from sales_growth.db import create_db_engine, create_session_factory, utcnow
from sales_growth.one_on_ones import analyses
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne
from sales_growth.settings import Settings

RECORD = "上司：今週はどうだった？\n新人：予算を聞くのを忘れてしまいました。\n上司：次は必ず確認しよう。\n"


@pytest.fixture
def factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    config = settings.model_copy(update={"analysis_retry_base_seconds": 0.0})
    jobs.configure(config)
    jobs.huey.flush()
    engine = create_db_engine(settings)
    yield create_session_factory(engine)
    jobs.huey.flush()
    engine.dispose()


def _record(session: Session) -> OneOnOne:
    member = User(email=f"m{utcnow().timestamp()}@example.com", name="新人", role=Role.MEMBER)
    session.add(member)
    session.flush()
    record = OneOnOne(
        member_id=member.id, held_on=date(2026, 11, 2), title="t", content=RECORD, created_by_id=member.id
    )
    session.add(record)
    session.flush()
    return record


def _queued(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        analysis = analyses.start(session, _record(session), engine="local")
        session.commit()
        return analysis.id


def _get(factory: sessionmaker[Session], analysis_id: int) -> Analysis:
    with factory() as session:
        analysis = session.get(Analysis, analysis_id)
        assert analysis is not None
        return analysis


class _Broken:
    name = "broken"

    def analyze(self, text: str, *, session_date: date) -> AnalysisResult:
        raise RuntimeError("engine exploded")


def test_the_job_is_enqueued_only_after_commit(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        analyses.start(session, _record(session), engine="local")
        session.flush()
        assert jobs.huey.pending_count() == 0
        session.commit()
    assert jobs.huey.pending_count() == 1


def test_a_rolled_back_record_enqueues_nothing(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        analyses.start(session, _record(session), engine="local")
        session.rollback()
    with factory() as session:
        session.commit()
    assert jobs.huey.pending_count() == 0


def test_running_a_job_twice_yields_one_result(factory: sessionmaker[Session], settings: Settings) -> None:
    analysis_id = _queued(factory)
    analyses.run(factory, settings, analysis_id)
    first = _get(factory, analysis_id)
    analyses.run(factory, settings, analysis_id)
    second = _get(factory, analysis_id)
    assert first.status == AnalysisStatus.SUCCEEDED
    assert second.attempts == 1
    assert second.finished_at == first.finished_at
    assert second.result is not None
    assert second.result["engine"] == "local"


def test_a_failing_engine_is_retried_then_marked_failed_with_a_reason(
    factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analyses, "analyzer_for", lambda _settings: _Broken())
    analysis_id = _queued(factory)
    for _ in range(settings.analysis_max_attempts):
        analyses.run(factory, settings, analysis_id)
    failed = _get(factory, analysis_id)
    assert failed.status == AnalysisStatus.FAILED
    assert failed.attempts == settings.analysis_max_attempts
    assert failed.error is not None
    assert "分析に失敗しました" in failed.error
    assert "RuntimeError" in failed.error


def test_a_failed_attempt_goes_back_to_the_queue(
    factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analyses, "analyzer_for", lambda _settings: _Broken())
    analysis_id = _queued(factory)
    analyses.run(factory, settings, analysis_id)
    retried = _get(factory, analysis_id)
    assert retried.status == AnalysisStatus.QUEUED
    assert retried.stage == "retry_wait"
    assert jobs.huey.pending_count() + jobs.huey.scheduled_count() >= 2


def _make_running(factory: sessionmaker[Session], analysis_id: int, *, worker: str, beat_age: float) -> None:
    with factory() as session:
        analysis = session.get(Analysis, analysis_id)
        assert analysis is not None
        analysis.status = AnalysisStatus.RUNNING
        analysis.attempts = 1
        analysis.worker = worker
        analysis.heartbeat_at = utcnow() - timedelta(seconds=beat_age)
        session.commit()


def test_the_sweeper_requeues_a_run_whose_heartbeat_went_stale(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    analysis_id = _queued(factory)
    _make_running(factory, analysis_id, worker="elsewhere:1", beat_age=settings.analysis_stale_seconds + 5)
    assert analyses.sweep(factory, settings) == 1
    assert _get(factory, analysis_id).status == AnalysisStatus.QUEUED
    analyses.run(factory, settings, analysis_id)
    done = _get(factory, analysis_id)
    assert (done.status, done.attempts) == (AnalysisStatus.SUCCEEDED, 2)


def test_the_sweeper_leaves_a_live_run_alone(factory: sessionmaker[Session], settings: Settings) -> None:
    analysis_id = _queued(factory)
    _make_running(factory, analysis_id, worker="elsewhere:1", beat_age=1)
    assert analyses.sweep(factory, settings) == 0
    assert _get(factory, analysis_id).status == AnalysisStatus.RUNNING


def test_a_stale_run_out_of_attempts_fails_with_a_reason(factory: sessionmaker[Session], settings: Settings) -> None:
    analysis_id = _queued(factory)
    _make_running(factory, analysis_id, worker="elsewhere:1", beat_age=settings.analysis_stale_seconds + 5)
    with factory() as session:
        analysis = session.get(Analysis, analysis_id)
        assert analysis is not None
        analysis.attempts = settings.analysis_max_attempts
        session.commit()
    analyses.sweep(factory, settings)
    failed = _get(factory, analysis_id)
    assert failed.status == AnalysisStatus.FAILED
    assert failed.error is not None
    assert "停止" in failed.error


def test_start_up_recovers_runs_of_a_dead_process_on_this_host(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    analysis_id = _queued(factory)
    dead = f"{jobs.worker_name().rsplit(':', 1)[0]}:999999999"
    _make_running(factory, analysis_id, worker=dead, beat_age=0)
    assert analyses.recover_orphans(factory, settings) == 1
    assert _get(factory, analysis_id).status == AnalysisStatus.QUEUED


def test_a_late_result_from_a_swept_run_is_ignored(factory: sessionmaker[Session], settings: Settings) -> None:
    analysis_id = _queued(factory)
    claim = analyses._claim(factory, analysis_id)
    assert claim is not None
    _make_running(factory, analysis_id, worker="elsewhere:1", beat_age=settings.analysis_stale_seconds + 5)
    analyses.sweep(factory, settings)
    analyses.run(factory, settings, analysis_id)  # the retry: attempt 2 succeeds
    analyses._succeed(factory, analysis_id, claim[0], {"engine": "stale"}, 0.0)  # the dead worker wakes up
    with factory() as session:
        result = session.scalars(select(Analysis.result).where(Analysis.id == analysis_id)).one()
    assert result is not None
    assert result["engine"] == "local"
