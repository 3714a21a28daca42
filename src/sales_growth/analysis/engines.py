"""Choosing the analysis engine from the settings."""

from __future__ import annotations

from datetime import date

from sales_growth.analysis.engine import LocalAnalyzer, get_local_analyzer
from sales_growth.analysis.models import AnalysisResult, Analyzer
from sales_growth.settings import Settings

LLM_UNAVAILABLE = "LLMエンジンはこのバージョンではまだ使えないため、組み込みエンジンで分析しました。"


class _LocalInstead:
    """Answers for an engine that cannot run here, with the built-in engine, and says so in the result."""

    name = "local"

    def __init__(self, local: LocalAnalyzer, reason: str) -> None:
        self._local = local
        self._reason = reason

    def analyze(self, text: str, *, session_date: date, filename: str | None = None) -> AnalysisResult:
        result = self._local.analyze(text, session_date=session_date, filename=filename)
        return result.model_copy(update={"fallback_reason": self._reason})


def get_analyzer(settings: Settings) -> Analyzer:
    """The configured engine. An engine that cannot run falls back to the built-in one, never to nothing."""
    if settings.engine == "llm":
        return _LocalInstead(get_local_analyzer(), LLM_UNAVAILABLE)
    return get_local_analyzer()
