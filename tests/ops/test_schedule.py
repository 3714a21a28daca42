"""The daily backup task: due once a day, seven days kept, copied to S3 (moto's server on loopback)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sales_growth.db import utcnow
from sales_growth.ops import backup, schedule
from sales_growth.ops.models import AuditEvent
from sales_growth.settings import Settings
from tests.factories import make_user
from tests.processes import free_port

BUCKET_PREFIX = "sales-growth-backups"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any, str]]:
    """A real S3 API (moto in server mode) on a loopback port, with a bucket, and a boto3 client for it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint)
    bucket = f"{BUCKET_PREFIX}-{uuid.uuid4().hex[:8]}"  # moto keeps its state per process, across servers
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    try:
        yield endpoint, client, bucket
    finally:
        server.stop()


@pytest.fixture
def local(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"backup_dir": tmp_path / "backups"})


def test_a_backup_is_taken_when_none_exists_and_not_again_the_same_day(local: Settings, db_session: Session) -> None:
    make_user(db_session)
    now = utcnow()
    first = schedule.run(local, now=now)
    assert first is not None
    assert backup.verify_archive(first.path).manifest["tables"]["users"]["rows"] == 1
    assert schedule.run(local, now=now + timedelta(hours=23)) is None
    assert schedule.run(local, now=now + timedelta(hours=24)) is not None


def test_seven_days_are_kept(local: Settings) -> None:
    start = utcnow()
    for day in range(10):
        schedule.run(local, now=start + timedelta(days=day))
    kept = sorted(path.name for path in local.resolved_backup_dir.glob("*.tar.gz"))
    assert len(kept) == 8  # today and the seven days before it
    assert schedule.taken_at(kept[0]) == (start + timedelta(days=2)).replace(microsecond=0)


def test_the_scheduled_backup_is_audited(local: Settings, db_session: Session) -> None:
    schedule.run(local)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "backup_created")).one()
    assert event.address == "scheduler"


def test_backups_are_copied_to_s3_and_pruned_there_too(local: Settings, s3: tuple[str, Any, str]) -> None:
    endpoint, client, bucket = s3
    remote = local.model_copy(update={"backup_s3_bucket": bucket, "backup_s3_endpoint_url": endpoint})
    start = utcnow()
    results = [schedule.run(remote, now=start + timedelta(days=day)) for day in range(9)]
    assert all(result is not None and result.uploaded_key for result in results)
    keys = sorted(item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert len(keys) == 8
    assert all(key.startswith("sales-growth/") for key in keys)
    newest = results[-1]
    assert newest is not None
    body = client.get_object(Bucket=bucket, Key=newest.uploaded_key)["Body"].read()
    assert body == newest.path.read_bytes()


def test_with_s3_the_newest_remote_backup_decides(local: Settings, s3: tuple[str, Any, str]) -> None:
    endpoint, _client, bucket = s3
    remote = local.model_copy(update={"backup_s3_bucket": bucket, "backup_s3_endpoint_url": endpoint})
    now = utcnow()
    assert schedule.run(remote, now=now) is not None
    for item in remote.resolved_backup_dir.glob("*.tar.gz"):
        item.unlink()  # another machine's worker has no local copy, but S3 says today's backup exists
    assert schedule.run(remote, now=now + timedelta(hours=1)) is None


def test_the_periodic_task_takes_the_backup_unless_turned_off(local: Settings) -> None:
    from sales_growth import jobs

    jobs.configure(local.model_copy(update={"backup_schedule": False}))
    jobs.scheduled_backup.call_local()
    assert list(local.resolved_backup_dir.glob("*.tar.gz")) == []
    jobs.configure(local)
    jobs.scheduled_backup.call_local()
    assert len(list(local.resolved_backup_dir.glob("*.tar.gz"))) == 1
