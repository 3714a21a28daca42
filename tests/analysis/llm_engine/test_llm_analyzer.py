"""The LLM engine through the real ``openai`` SDK against a scripted OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from typing import Any

import pytest

from sales_growth.analysis.engine import get_local_analyzer
from sales_growth.analysis.evaluation import plan_problems
from sales_growth.analysis.llm_engine import LLMAnalyzer, LLMConfig
from sales_growth.analysis.llm_engine.analyzer import PROMPT_VERSION, verbatim
from tests.analysis.llm_engine.fake_server import FakeLLM, completion, error

SESSION = date(2026, 11, 2)
SECRET = "sk-test-very-secret-key-123"
RECORD = (
    "課長（鈴木）：青葉電機さんの件、どうだった？\n"
    "新人（山本）：はい。提案は聞いていただけたんですが、予算を聞くのを忘れてしまいました。\n"
    "課長（鈴木）：事前の準備はしっかりできていて良かったよ。連絡は yamamoto@example.com か 03-1234-5678 まで。\n"
)


def _answer(**changes: Any) -> str:
    body: dict[str, Any] = {
        "summary": "青葉電機さんへの提案の振り返り。準備は良かったが予算を聞き忘れた。",
        "keywords": ["青葉電機", "予算", "存在しない語"],
        "findings": [
            {
                "skill": "hearing",
                "polarity": "challenge",
                "evidence": "予算を聞くのを忘れてしまいました。",
                "confidence": 0.9,
            },
            {
                "skill": "preparation",
                "polarity": "strength",
                "evidence": "事前の準備はしっかりできていて良かったよ。",
                "confidence": 0.8,
            },
        ],
        "primary_challenge": "hearing",
        "action_plan": [
            {
                "title": "青葉電機さんに予算を確認する",
                "skill": "hearing",
                "due_in_business_days": 3,
                "success_metric": "3営業日以内に予算額を確認し記録する",
                "steps": ["電話する", "記録する"],
            }
        ],
    }
    body.update(changes)
    return json.dumps(body, ensure_ascii=False)


def _analyzer(fake: FakeLLM, **config: Any) -> LLMAnalyzer:
    settings = {"timeout_seconds": 5.0, "max_retries": 2, **config}
    return LLMAnalyzer(
        LLMConfig(base_url=fake.base_url, model="test-model", api_key=SECRET, **settings),
        fallback=get_local_analyzer(),
    )


def test_a_valid_answer_becomes_a_verified_result(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion(_answer())]
    result = _analyzer(fake_llm).analyze(RECORD, session_date=SESSION)
    assert result.engine == "llm"
    assert result.prompt_version == PROMPT_VERSION
    assert result.model == "test-model"
    assert result.usage == {"prompt_tokens": 120, "completion_tokens": 80}
    assert {(f.skill, f.polarity) for f in result.findings} == {("hearing", "challenge"), ("preparation", "strength")}
    assert result.keywords == ["青葉電機", "予算"]  # a keyword not in the record is dropped
    assert plan_problems(result, SESSION) == []
    assert fake_llm.requests[0]["body"]["response_format"]["type"] == "json_schema"


def test_made_up_evidence_and_unknown_skills_are_dropped(fake_llm: FakeLLM) -> None:
    findings = [
        {"skill": "hearing", "polarity": "challenge", "evidence": "予算を  聞くのを忘れて\nしまいました。"},
        {"skill": "closing", "polarity": "challenge", "evidence": "次回のアポを取らなかった。"},
        {"skill": "negotiation", "polarity": "strength", "evidence": "事前の準備はしっかりできていて良かったよ。"},
    ]
    fake_llm.script = [completion(_answer(findings=findings, primary_challenge="closing"))]
    result = _analyzer(fake_llm).analyze(RECORD, session_date=SESSION)
    assert [(f.skill, f.evidence) for f in result.findings] == [("hearing", "予算を聞くのを忘れてしまいました。")]
    assert result.primary_challenge == "hearing"


def test_due_dates_are_recomputed_in_business_days_within_the_horizon(fake_llm: FakeLLM) -> None:
    plan = [
        {
            "title": "予算を確認する",
            "skill": "hearing",
            "due_in_business_days": 400,
            "success_metric": "1件確認する",
            "steps": ["電話する"],
        }
    ]
    fake_llm.script = [completion(_answer(action_plan=plan))]
    result = _analyzer(fake_llm).analyze(RECORD, session_date=SESSION)
    assert plan_problems(result, SESSION) == []


def test_a_challenge_without_an_action_gets_one_from_the_templates(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion(_answer(action_plan=[]))]
    result = _analyzer(fake_llm).analyze(RECORD, session_date=SESSION)
    assert [a.skill for a in result.action_plan] == ["hearing"]


def test_invalid_json_is_repaired_once(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion("これはJSONではありません"), completion(_answer())]
    result = _analyzer(fake_llm).analyze(RECORD, session_date=SESSION)
    assert result.engine == "llm"
    assert len(fake_llm.requests) == 2
    assert "JSONスキーマに合っていません" in fake_llm.requests[1]["body"]["messages"][-1]["content"]
    assert result.usage == {"prompt_tokens": 240, "completion_tokens": 160}


def test_invalid_json_twice_falls_back_to_the_built_in_engine(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion("{not json")]
    result = _analyzer(fake_llm).analyze(RECORD, session_date=SESSION)
    assert result.engine == "local"
    assert result.fallback_reason is not None
    assert "組み込みエンジン" in result.fallback_reason
    assert len(fake_llm.requests) == 2


def test_429_is_retried_honouring_retry_after(fake_llm: FakeLLM) -> None:
    fake_llm.script = [error(429, {"Retry-After": "1"}), completion(_answer())]
    result = _analyzer(fake_llm).analyze(RECORD, session_date=SESSION)
    assert result.engine == "llm"
    assert len(fake_llm.requests) == 2
    assert fake_llm.request_times[1] - fake_llm.request_times[0] >= 0.9


def test_server_errors_exhaust_the_retries_then_fall_back(fake_llm: FakeLLM) -> None:
    fake_llm.script = [error(500, {"Retry-After": "0"})]
    result = _analyzer(fake_llm, max_retries=2).analyze(RECORD, session_date=SESSION)
    assert result.engine == "local"
    assert result.fallback_reason is not None
    assert "HTTP 500" in result.fallback_reason
    assert len(fake_llm.requests) == 3


def test_a_slow_server_times_out_and_falls_back_in_bounded_time(fake_llm: FakeLLM) -> None:
    def slow() -> tuple[int, dict[str, str], bytes]:
        time.sleep(3)
        return completion(_answer())

    fake_llm.script = [slow]
    started = time.monotonic()
    result = _analyzer(fake_llm, timeout_seconds=0.5, max_retries=0).analyze(RECORD, session_date=SESSION)
    assert result.engine == "local"
    assert result.fallback_reason is not None
    assert "時間内" in result.fallback_reason
    assert time.monotonic() - started < 3


def test_personal_data_is_masked_on_the_way_out_and_restored_in_the_result(fake_llm: FakeLLM) -> None:
    def answer_quoting_a_masked_line() -> tuple[int, dict[str, str], bytes]:
        sent = fake_llm.requests[-1]["body"]["messages"][1]["content"]
        line = next(line for line in sent.splitlines() if "忘れて" in line)  # 新人（〔人名…〕）：…
        return completion(_answer(findings=[{"skill": "hearing", "polarity": "challenge", "evidence": line}]))

    fake_llm.script = [answer_quoting_a_masked_line]
    result = _analyzer(fake_llm, mask_pii=True).analyze(RECORD, session_date=SESSION)
    sent = json.dumps(fake_llm.requests[0]["body"], ensure_ascii=False)
    for secret in ("yamamoto@example.com", "03-1234-5678", "山本", "鈴木"):
        assert secret not in sent
    assert "〔人名" in sent
    assert result.findings[0].evidence.startswith("新人（山本）：")
    assert result.findings[0].evidence in RECORD


def test_the_api_key_never_reaches_logs_or_errors(fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture) -> None:
    fake_llm.script = [error(401)]
    caplog.set_level(logging.DEBUG)
    analyzer = _analyzer(fake_llm, max_retries=0)
    result = analyzer.analyze(RECORD, session_date=SESSION)
    assert result.engine == "local"
    assert SECRET not in caplog.text
    assert SECRET not in repr(analyzer)
    assert SECRET not in (result.fallback_reason or "")
    headers = {name.lower(): value for name, value in fake_llm.requests[0]["headers"].items()}
    assert headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize(
    ("evidence", "found"),
    [("予算を聞くのを忘れて", "予算を聞くのを忘れて"), ("予 算を聞く", "予算を聞く"), ("架空の文", None)],
)
def test_evidence_is_matched_with_whitespace_ignored(evidence: str, found: str | None) -> None:
    assert verbatim(evidence, RECORD) == found
