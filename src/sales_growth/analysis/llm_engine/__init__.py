"""The LLM analysis engine: any OpenAI-compatible API, with the built-in engine as its safety net."""

from sales_growth.analysis.llm_engine.analyzer import LLMAnalyzer
from sales_growth.analysis.llm_engine.config import LLMConfig, config_from

__all__ = ["LLMAnalyzer", "LLMConfig", "config_from"]
