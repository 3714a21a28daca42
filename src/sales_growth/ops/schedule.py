"""The daily backup of the operations manual, run by the workers' periodic task; seven days are kept.

The task runs every hour and takes a backup only when the newest one is older than ``BACKUP_INTERVAL_HOURS``:
a worker that was down at the usual hour catches up as soon as it is back. Archives go to ``BACKUP_DIR`` and, when
``BACKUP_S3_BUCKET`` is set, to S3 as well; both keep ``BACKUP_KEEP_DAYS`` days.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sales_growth.db import create_db_engine, create_session_factory, transaction, utcnow
from sales_growth.ops import audit, backup
from sales_growth.settings import Settings

logger = logging.getLogger(__name__)

_NAME = re.compile(r"sales-growth-backup-(\d{8}-\d{6})\.tar\.gz$")


@dataclass(frozen=True)
class ScheduledResult:
    path: Path
    uploaded_key: str | None
    pruned_local: list[str]
    pruned_s3: list[str]


def taken_at(name: str) -> datetime | None:
    """When an archive was taken, from its name (UTC); None for files that are not backups."""
    match = _NAME.search(name)
    return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC) if match else None


def run(settings: Settings, *, now: datetime | None = None, s3: Any = None) -> ScheduledResult | None:
    """Take a backup if the newest is due, copy it to S3, and prune both places; None when none was due."""
    moment = now or utcnow()
    client = s3 if s3 is not None else (_s3_client(settings) if settings.backup_s3_bucket else None)
    newest = _newest(settings, client)
    if newest is not None and moment - newest < timedelta(hours=settings.backup_interval_hours):
        return None
    summary = backup.create_backup(settings, settings.resolved_backup_dir, now=moment)
    key = _upload(settings, client, summary.path) if client is not None else None
    cutoff = (moment - timedelta(days=settings.backup_keep_days)).replace(microsecond=0)  # names hold seconds
    result = ScheduledResult(
        path=summary.path,
        uploaded_key=key,
        pruned_local=_prune_local(settings.resolved_backup_dir, cutoff),
        pruned_s3=_prune_s3(settings, client, cutoff) if client is not None else [],
    )
    _audit(settings, result, rows=summary.total_rows, revision=summary.revision)
    logger.info("scheduled backup %s taken (s3: %s)", summary.path.name, key or "no")
    return result


def _newest(settings: Settings, client: Any) -> datetime | None:
    names = [item.name for item in settings.resolved_backup_dir.glob("*.tar.gz")]
    if client is not None:
        names = [key.rsplit("/", 1)[-1] for key in _s3_keys(settings, client)]
    moments = [moment for moment in map(taken_at, names) if moment is not None]
    return max(moments, default=None)


def _prune_local(folder: Path, cutoff: datetime) -> list[str]:
    pruned = []
    for item in sorted(folder.glob("*.tar.gz")):
        moment = taken_at(item.name)
        if moment is not None and moment < cutoff:
            item.unlink()
            pruned.append(item.name)
    return pruned


def _s3_client(settings: Settings) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=settings.backup_s3_endpoint_url)


def _upload(settings: Settings, client: Any, path: Path) -> str:
    key = f"{settings.backup_s3_prefix}{path.name}"
    client.upload_file(str(path), settings.backup_s3_bucket, key)
    return key


def _s3_keys(settings: Settings, client: Any) -> list[str]:
    keys: list[str] = []
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.backup_s3_bucket, Prefix=settings.backup_s3_prefix
    )
    for page in pages:
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def _prune_s3(settings: Settings, client: Any, cutoff: datetime) -> list[str]:
    old = [key for key in _s3_keys(settings, client) if (moment := taken_at(key)) is not None and moment < cutoff]
    if old:
        client.delete_objects(Bucket=settings.backup_s3_bucket, Delete={"Objects": [{"Key": key} for key in old]})
    return old


def _audit(settings: Settings, result: ScheduledResult, *, rows: int, revision: str) -> None:
    engine = create_db_engine(settings)
    try:
        with transaction(create_session_factory(engine)) as session:
            audit.record_event(
                "backup_created",
                session=session,
                address="scheduler",
                file=result.path.name,
                rows=rows,
                revision=revision,
                s3_key=result.uploaded_key,
                pruned=len(result.pruned_local) + len(result.pruned_s3),
            )
    finally:
        engine.dispose()
