"""Choosing the analysis engine from the settings."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sales_growth.analysis.engine import LocalAnalyzer, get_local_analyzer
from sales_growth.analysis.models import AnalysisResult, Analyzer
from sales_growth.settings import Settings

LLM_NOT_CONFIGURED = (
    "LLMエンジンの接続先（SALES_GROWTH_LLM_BASE_URL と SALES_GROWTH_LLM_MODEL）が設定されていないため、"
    "組み込みエンジンで分析しました。"
)


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
    if settings.engine != "llm":
        return get_local_analyzer()
    if not (settings.llm_base_url and settings.llm_model):
        return _LocalInstead(get_local_analyzer(), LLM_NOT_CONFIGURED)
    from sales_growth.analysis.llm_engine import config_from

    return _llm_analyzer(config_from(settings))


@lru_cache(maxsize=4)
def _llm_analyzer(config: object) -> Analyzer:
    from sales_growth.analysis.llm_engine import LLMAnalyzer, LLMConfig

    assert isinstance(config, LLMConfig)
    return LLMAnalyzer(config, fallback=get_local_analyzer())
