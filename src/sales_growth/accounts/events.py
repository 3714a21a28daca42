"""Audit-worthy account events. Structured log lines for now; the audit-log issue turns this into DB rows."""

from __future__ import annotations

import structlog

_log = structlog.get_logger("sales_growth.audit")


def record_event(action: str, *, actor_id: int | None = None, target_id: int | None = None, **details: object) -> None:
    """Record one event. ``action`` comes from the fixed vocabulary of DESIGN.md (``login_failed``, ...)."""
    _log.info("audit", action=action, actor_id=actor_id, target_id=target_id, **details)
