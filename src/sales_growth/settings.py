"""All configuration, read once from the environment (prefix ``SALES_GROWTH_``).

Nothing else in the code reads ``os.environ``: ask :func:`get_settings` instead.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


class Settings(BaseSettings):
    """The one settings class. Unsafe defaults are refused outside development."""

    model_config = SettingsConfigDict(env_prefix="SALES_GROWTH_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None

    engine: Literal["local", "llm"] = "local"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout_seconds: float = 30.0
    llm_max_retries: int = 3  # the SDK retries 429, 5xx and timeouts with backoff, honouring Retry-After
    llm_concurrency: int = 4  # calls at once per process
    llm_mask_pii: bool = False  # mask emails, phone numbers and person names before sending

    # Records and uploads.
    max_upload_bytes: int = 1_000_000

    # Login, tokens and sessions.
    lockout_threshold: int = 5
    lockout_minutes: int = 30
    login_attempts_per_address: int = 20
    login_window_seconds: int = 300
    login_attempts_per_account: int = 10  # attempts for one email address per window, whoever makes them
    expensive_requests_per_user: int = 30  # record creations and re-analyses per user per window
    expensive_requests_per_address: int = 120
    expensive_window_seconds: int = 60
    token_idle_minutes: int = 120
    token_lifetime_hours: int = 24
    session_idle_minutes: int = 60
    session_lifetime_hours: int = 12
    cookie_secure: bool | None = None  # None: decided by the request scheme
    # Caches (per process, or in Redis when REDIS_URL is set); 0 turns one off.
    session_cache_seconds: float = 30.0  # a login token's user, between the once-a-minute checks in the database
    team_cache_seconds: float = 30.0  # a manager's team summary (/team, GET /api/v1/teams/me)
    page_cache_seconds: float = 300.0  # a signed-in person's page, kept while what it shows is unchanged (0: off)

    # Analysis jobs.
    analysis_max_attempts: int = 3
    analysis_retry_base_seconds: float = 5.0
    analysis_heartbeat_seconds: float = 5.0
    analysis_stale_seconds: float = 60.0
    embedded_worker: bool = True  # serve consumes jobs itself; turn off where separate workers run
    embedded_workers: int = 2

    # Coaching dialogues.
    dialogue_max_turns: int = 20  # the member's messages in one dialogue
    dialogue_message_max_chars: int = 1000
    next_one_on_one_days: int = 14  # what 「次の1on1まで」 means, in days
    # Operations.
    keep_alive_seconds: int = 75  # an idle browser connection stays open between two page views (as nginx's default)
    maintenance_cache_seconds: float = 2.0  # how stale a web process's view of maintenance mode may be
    health_min_free_disk_mb: int = 500  # /health reports the disk down below this much free space in DATA_DIR
    backup_dir: Path | None = None  # default: DATA_DIR/backups
    backup_keep_days: int = 7
    backup_interval_hours: float = 24.0  # the periodic task takes a backup when the newest is this old
    backup_schedule: bool = True  # run the periodic backup in the workers
    backup_s3_bucket: str | None = None  # also copy each scheduled backup there (credentials: the AWS_* variables)
    backup_s3_prefix: str = "sales-growth/"
    backup_s3_endpoint_url: str | None = None  # for S3-compatible stores (MinIO and the like)
    otlp_endpoint: str | None = None  # OpenTelemetry traces to this OTLP/HTTP endpoint when set
    log_level: str = "INFO"

    # Database pool (PostgreSQL, and SQLite files). Requests wait for a free connection before they start.
    db_pool_size: int = 10
    db_max_overflow: int = 10

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production" and self.secret_key is None:
            raise ValueError("SALES_GROWTH_SECRET_KEY must be set in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL; SQLite in the data folder when none is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sales_growth.db').resolve()}"

    @property
    def resolved_backup_dir(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The signing key: the configured one, else one generated once and kept in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _load_or_create_secret(self.data_dir / SECRET_KEY_FILE)


def _load_or_create_secret(path: Path) -> str:
    """The key kept in ``path``, made on first use, whole before it appears under its name.

    The processes of ``serve --workers N`` start together: one that read the file between another's creating and
    writing it took an empty key, and a page signed by one process failed the CSRF check of the other (403).
    The key is written to a file of its own first and then linked to ``path``, which fails if another process
    linked its key first: that one is read instead, so every process uses the same key."""
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # owner-only (0600)
    written = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        os.link(written, path)
    except FileExistsError:
        return _read_secret(path)
    finally:
        written.unlink()
    return key


def _read_secret(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"{path} is empty: delete it to have a new key made, or set SALES_GROWTH_SECRET_KEY")
    return key


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
