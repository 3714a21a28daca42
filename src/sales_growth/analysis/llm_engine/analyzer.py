"""The LLM engine. It asks an OpenAI-compatible model for the analysis as JSON, then trusts none of it.

Every finding's evidence must be found in the record (whitespace aside) and is replaced by the record's own
text; unknown skills are dropped; due dates are recomputed in business days; every challenge gets an action.
An answer that is not valid JSON is sent back once for repair. Transport faults (429, 5xx, timeouts) are retried
by the SDK with backoff and jitter, honouring Retry-After; when the model still cannot answer, the built-in
engine answers and the result says why (``engine: "local"``, ``fallback_reason``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from sales_growth.analysis.calendar import add_business_days
from sales_growth.analysis.llm_engine import observe
from sales_growth.analysis.llm_engine.config import LLMConfig
from sales_growth.analysis.llm_engine.masking import Masking, build_masking
from sales_growth.analysis.models import SKILL_IDS, ActionItem, AnalysisResult, Analyzer, Finding, SkillId
from sales_growth.analysis.planner import action_from, load_templates, main_customer
from sales_growth.analysis.reading import read_transcript

logger = logging.getLogger(__name__)

PROMPT_VERSION = "analysis_v1"
MAX_ACTIONS = 6
MAX_SUMMARY = 400


class LLMFinding(BaseModel):
    skill: str
    polarity: Literal["strength", "challenge"]
    evidence: str
    confidence: float = Field(default=0.7, ge=0.0, le=1.0)


class LLMAction(BaseModel):
    title: str
    skill: str
    due_in_business_days: int = 5
    success_metric: str
    steps: list[str]


class LLMAnalysis(BaseModel):
    """What the model is asked to return (json_schema structured output)."""

    summary: str
    keywords: list[str]
    findings: list[LLMFinding]
    primary_challenge: str | None
    action_plan: list[LLMAction]


class LLMUnavailableError(RuntimeError):
    """The model could not give a usable answer; the message is Japanese and reaches the user."""


_SEMAPHORES: dict[int, threading.BoundedSemaphore] = {}
_SEMAPHORES_LOCK = threading.Lock()


def _semaphore(limit: int) -> threading.BoundedSemaphore:
    with _SEMAPHORES_LOCK:
        return _SEMAPHORES.setdefault(limit, threading.BoundedSemaphore(limit))


def prompt() -> str:
    return (
        resources.files("sales_growth.analysis.llm_engine")
        .joinpath("prompts", f"{PROMPT_VERSION}.md")
        .read_text("utf-8")
    )


class LLMAnalyzer:
    """Implements :class:`~sales_growth.analysis.models.Analyzer` over an OpenAI-compatible chat API."""

    name = "llm"

    def __init__(self, config: LLMConfig, *, fallback: Analyzer) -> None:
        # Imported here: client.py builds on this module. The coach shares the client.
        from sales_growth.analysis.llm_engine.client import openai_client

        self._config = config
        self._fallback = fallback
        self._client = openai_client(config)

    def __repr__(self) -> str:
        return f"LLMAnalyzer(model={self._config.model!r}, base_url={self._config.base_url!r})"

    def analyze(self, text: str, *, session_date: date, filename: str | None = None) -> AnalysisResult:
        try:
            return self._analyze(text, session_date=session_date)
        except LLMUnavailableError as exc:
            logger.warning("LLM engine unavailable, falling back to the built-in engine: %s", exc)
            result = self._fallback.analyze(text, session_date=session_date)
            return result.model_copy(update={"fallback_reason": str(exc)})

    def _analyze(self, text: str, *, session_date: date) -> AnalysisResult:
        masking = build_masking(text) if self._config.mask_pii else Masking()
        started = time.perf_counter()
        answer, usage = self._ask(masking.mask(text))
        answer = _unmasked(answer, masking)
        logger.info("LLM analysis in %.2f s, tokens %s", time.perf_counter() - started, usage)
        return _verified(answer, text, session_date).model_copy(
            update={"model": self._config.model, "prompt_version": PROMPT_VERSION, "usage": usage}
        )

    def _ask(self, text: str) -> tuple[LLMAnalysis, dict[str, int]]:
        messages: list[dict[str, str]] = [
            {"role": "system", "content": prompt()},
            {"role": "user", "content": f"1on1の記録:\n{text}"},
        ]
        usage = {"prompt_tokens": 0, "completion_tokens": 0}
        for attempt in range(2):  # one answer, and one repair of an invalid answer
            content = self._complete(messages, usage)
            try:
                return LLMAnalysis.model_validate_json(content), usage
            except ValidationError as exc:
                if attempt == 1:
                    raise LLMUnavailableError(
                        "LLMの回答が2回続けて形式に合わなかったため、組み込みエンジンで分析しました。"
                    ) from exc
                messages += [
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": f"出力がJSONスキーマに合っていません（{_short(exc)}）。"
                        "JSONだけを出力し直してください。",
                    },
                ]
        raise AssertionError("unreachable")

    def _complete(self, messages: list[dict[str, str]], usage: dict[str, int]) -> str:
        import openai

        schema = {"name": "analysis", "schema": LLMAnalysis.model_json_schema()}
        started = time.perf_counter()
        try:
            with _semaphore(self._config.concurrency):
                # The SDK's TypedDicts for messages and formats add nothing over the JSON we build here.
                completions: Any = self._client.chat.completions
                completion = completions.create(
                    model=self._config.model,
                    messages=messages,
                    response_format={"type": "json_schema", "json_schema": schema},
                    temperature=0,
                )
        except openai.APITimeoutError as exc:
            observe.report(model=self._config.model, seconds=time.perf_counter() - started, outcome="timeout")
            raise LLMUnavailableError("LLMの応答が時間内に返らなかったため、組み込みエンジンで分析しました。") from exc
        except openai.APIStatusError as exc:
            observe.report(
                model=self._config.model, seconds=time.perf_counter() - started, outcome=f"http_{exc.status_code}"
            )
            raise LLMUnavailableError(
                f"LLMがエラーを返したため（HTTP {exc.status_code}）、組み込みエンジンで分析しました。"
            ) from exc
        except openai.APIConnectionError as exc:
            observe.report(model=self._config.model, seconds=time.perf_counter() - started, outcome="connection_error")
            raise LLMUnavailableError("LLMに接続できなかったため、組み込みエンジンで分析しました。") from exc
        tokens = completion.usage
        observe.report(
            model=self._config.model,
            seconds=time.perf_counter() - started,
            outcome="ok",
            prompt_tokens=tokens.prompt_tokens if tokens else 0,
            completion_tokens=tokens.completion_tokens if tokens else 0,
        )
        if tokens is not None:
            usage["prompt_tokens"] += tokens.prompt_tokens
            usage["completion_tokens"] += tokens.completion_tokens
        return completion.choices[0].message.content or ""


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])


def _unmasked(answer: LLMAnalysis, masking: Masking) -> LLMAnalysis:
    if not masking.to_placeholder:
        return answer
    return LLMAnalysis.model_validate_json(masking.unmask(answer.model_dump_json()))


def verbatim(evidence: str, text: str) -> str | None:
    """The record's own text for ``evidence``, matched with whitespace ignored; None when it is not there."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    folded = "".join(text[i] for i in positions)
    needle = "".join(ch for ch in evidence if not ch.isspace())
    start = folded.find(needle) if needle else -1
    if start < 0:
        return None
    return text[positions[start] : positions[start + len(needle) - 1] + 1]


def _verified(answer: LLMAnalysis, text: str, session_date: date) -> AnalysisResult:
    findings = _findings(answer, text)
    challenges = [f.skill for f in findings if f.polarity == "challenge"]
    primary = answer.primary_challenge if answer.primary_challenge in challenges else None
    if primary is None and challenges:
        primary = max((f for f in findings if f.polarity == "challenge"), key=lambda f: f.confidence).skill
    return AnalysisResult(
        engine="llm",
        summary=answer.summary.strip()[:MAX_SUMMARY],
        keywords=[k for k in dict.fromkeys(answer.keywords) if k and k in text][:10],
        findings=findings,
        primary_challenge=primary,
        action_plan=_plan(answer, text, session_date, challenges, primary),
    )


def _findings(answer: LLMAnalysis, text: str) -> list[Finding]:
    kept: dict[tuple[str, str], Finding] = {}
    for item in answer.findings:
        evidence = verbatim(item.evidence, text)
        if item.skill not in SKILL_IDS or evidence is None or (item.skill, item.polarity) in kept:
            continue  # unknown skill, made-up evidence, or a repeat
        kept[(item.skill, item.polarity)] = Finding(
            skill=item.skill,
            polarity=item.polarity,
            evidence=evidence,
            confidence=item.confidence,
        )
    return list(kept.values())


def _plan(
    answer: LLMAnalysis, text: str, session_date: date, challenges: list[SkillId], primary: str | None
) -> list[ActionItem]:
    actions: list[ActionItem] = []
    for item in answer.action_plan:
        steps = [s for s in item.steps if s.strip()][:4]
        if item.skill not in SKILL_IDS or not item.title.strip() or not item.success_metric.strip() or not steps:
            continue
        days = min(max(item.due_in_business_days, 1), 28)  # 28 business days stay within 42 calendar days
        actions.append(
            ActionItem(
                title=item.title.strip(),
                skill=item.skill,
                due_date=add_business_days(session_date, days),
                success_metric=item.success_metric.strip(),
                steps=steps,
            )
        )
    covered = {a.skill for a in actions}
    missing = [s for s in dict.fromkeys(challenges) if s not in covered]
    if missing:
        customer = main_customer(read_transcript(text), answer.keywords)
        actions += [action_from(load_templates()[skill][0], customer, session_date) for skill in missing]
    actions.sort(key=lambda a: a.skill != primary)
    return actions[:MAX_ACTIONS]


def describe(result: AnalysisResult) -> dict[str, Any]:
    """A short summary of a result for logs: never the record text."""
    return {"engine": result.engine, "findings": len(result.findings), "usage": result.usage}
