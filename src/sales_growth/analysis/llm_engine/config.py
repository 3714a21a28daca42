"""What the LLM engine needs to know, as a plain value: the library does not read settings itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from sales_growth.settings import Settings


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str = field(default="not-needed", repr=False)  # never shown in logs or reprs
    timeout_seconds: float = 30.0
    max_retries: int = 3
    concurrency: int = 4
    mask_pii: bool = False


def config_from(settings: Settings) -> LLMConfig:
    if not (settings.llm_base_url and settings.llm_model):
        raise ValueError("SALES_GROWTH_LLM_BASE_URL and SALES_GROWTH_LLM_MODEL are required for the LLM engine")
    return LLMConfig(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed",
        timeout_seconds=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        concurrency=settings.llm_concurrency,
        mask_pii=settings.llm_mask_pii,
    )
