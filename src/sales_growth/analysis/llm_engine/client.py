"""The LLM connection shared by every LLM feature (analysis, coaching): one OpenAI-compatible client per
configuration, a concurrency limit per process, and transport failures turned into a reason a person can read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

# The analyzer owns the error type and the process's concurrency limit; every LLM feature shares them.
from sales_growth.analysis.llm_engine.analyzer import LLMUnavailableError, _semaphore
from sales_growth.analysis.llm_engine.config import LLMConfig

if TYPE_CHECKING:
    from openai import OpenAI


@lru_cache(maxsize=8)
def openai_client(config: LLMConfig) -> OpenAI:
    """The client for ``config``; the SDK retries 429, 5xx and timeouts with backoff, honouring Retry-After."""
    from openai import OpenAI  # imported here: the built-in engines alone never need the SDK

    return OpenAI(
        base_url=config.base_url,
        api_key=config.api_key,
        timeout=config.timeout_seconds,
        max_retries=config.max_retries,
    )


@contextmanager
def llm_call(config: LLMConfig, *, instead: str) -> Iterator[None]:
    """Hold one of the process's LLM slots for a call (and the reading of a streamed answer).

    The SDK's failures become :class:`LLMUnavailableError`, saying why and what happened ``instead``
    (「組み込みエンジンで分析しました」)."""
    import openai

    try:
        with _semaphore(config.concurrency):
            yield
    except openai.APITimeoutError as exc:
        raise LLMUnavailableError(f"LLMの応答が時間内に返らなかったため、{instead}。") from exc
    except openai.APIStatusError as exc:
        raise LLMUnavailableError(f"LLMがエラーを返したため（HTTP {exc.status_code}）、{instead}。") from exc
    except openai.APIConnectionError as exc:
        raise LLMUnavailableError(f"LLMに接続できなかったため、{instead}。") from exc


__all__ = ["LLMUnavailableError", "llm_call", "openai_client"]
