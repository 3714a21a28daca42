"""Callbacks for whoever wants to watch the LLM calls (metrics, traces), so that this library imports no
monitoring code. The application adds its observers once per process; by default calls go unobserved.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

logger = logging.getLogger(__name__)


class LLMObserver(Protocol):
    def on_call(
        self, *, model: str, seconds: float, outcome: str, prompt_tokens: int = 0, completion_tokens: int = 0
    ) -> None:
        """One chat-completion call, reported in the calling thread right after it returned or failed.

        ``outcome`` is ``ok``, ``timeout``, ``connection_error`` or ``http_<status>``.
        """
        ...


_observers: list[LLMObserver] = []
_lock = threading.Lock()


def add_observer(observer: LLMObserver) -> None:
    """Watch every LLM call of this process with ``observer`` too."""
    with _lock:
        _observers.append(observer)


def remove_observer(observer: LLMObserver) -> None:
    with _lock:
        if observer in _observers:
            _observers.remove(observer)


def report(*, model: str, seconds: float, outcome: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
    """Tell the observers about one call; an observer that fails never fails the analysis."""
    for observer in list(_observers):
        try:
            observer.on_call(
                model=model,
                seconds=seconds,
                outcome=outcome,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        except Exception:
            logger.warning("an LLM observer failed", exc_info=True)
