"""The coaching dialogue engine: a pure library, like the rest of ``analysis``.

:class:`~sales_growth.analysis.coach.grow.BuiltinCoach` walks through GROW without an LLM; the LLM coach holds a
natural conversation with the same grounding and falls back to the built-in one. :func:`get_coach` picks one
from the settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from sales_growth.analysis.coach.grow import BuiltinCoach
from sales_growth.analysis.coach.models import Coach, CoachContext, CoachReply, StreamReset, Turn
from sales_growth.analysis.engines import LLM_NOT_CONFIGURED
from sales_growth.settings import Settings

COACH_LLM_NOT_CONFIGURED = LLM_NOT_CONFIGURED.replace("組み込みエンジンで分析しました", "組み込みのコーチが答えました")


class _BuiltinInstead(BuiltinCoach):
    """The built-in coach answering for an LLM coach that cannot run here, and saying so."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def opening(self, context: CoachContext) -> CoachReply:
        return super().opening(context).model_copy(update={"fallback_reason": self._reason})

    def reply(self, context: CoachContext, history: list[Turn]) -> CoachReply:
        return super().reply(context, history).model_copy(update={"fallback_reason": self._reason})

    def stream_reply(self, context: CoachContext, history: list[Turn]) -> Iterator[str | StreamReset | CoachReply]:
        reply = self.reply(context, history)
        yield reply.content
        yield reply


def get_coach(settings: Settings) -> Coach:
    """The configured coach: the LLM coach when the engine is ``llm`` and configured, else the built-in one."""
    if settings.engine != "llm":
        return BuiltinCoach()
    if not (settings.llm_base_url and settings.llm_model):
        return _BuiltinInstead(COACH_LLM_NOT_CONFIGURED)
    from sales_growth.analysis.llm_engine import config_from

    return _llm_coach(config_from(settings))


@lru_cache(maxsize=4)
def _llm_coach(config: object) -> Coach:
    from sales_growth.analysis.coach.llm_coach import LLMCoach
    from sales_growth.analysis.llm_engine import LLMConfig

    assert isinstance(config, LLMConfig)
    return LLMCoach(config, fallback=BuiltinCoach())


__all__ = ["BuiltinCoach", "Coach", "get_coach"]
