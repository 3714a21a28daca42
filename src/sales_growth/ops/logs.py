"""Structured logs: JSON lines on stdout through structlog, with the request id and the user id on every line.

Standard-library loggers (the app's modules, uvicorn, huey) go through the same renderer, so every line of a
process is one JSON object. A redaction step replaces the value of any key that could carry a secret or a
person's words, whatever a caller passes.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"
_SENSITIVE = ("password", "token", "secret", "authorization", "cookie", "content", "transcript", "api_key")


@functools.lru_cache(maxsize=1024)
def _is_sensitive(key: str) -> bool:
    """Whether a key may carry a secret or a person's words (log lines have few keys, the same on every line)."""
    return any(word in key.lower() for word in _SENSITIVE)


def redact(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    for key in list(event_dict):
        if _is_sensitive(key):
            event_dict[key] = REDACTED
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]


def json_formatter() -> logging.Formatter:
    """The formatter of every handler: one JSON object per line, Japanese kept readable."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def configure_logging(*, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log line of this process, structlog's and the standard library's, as JSON to ``stream``."""
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: structlog.testing.capture_logs (tests) must see loggers that were used before it.
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # One access line per request comes from the app itself; uvicorn's own would repeat it without the user.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def access_fields(scope: MutableMapping[str, Any], status: int, seconds: float) -> dict[str, Any]:
    """What the access line says about a request: never its query string or body (they may hold personal data)."""
    from sales_growth.ops.metrics import route_template

    state = scope.get("state") or {}
    return {
        "method": scope.get("method"),
        "path": scope.get("path"),
        "route": route_template(scope, status),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "user_id": state.get("user_id"),
    }
