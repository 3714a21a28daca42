"""`sales-growth analyze --engine llm` as a user runs it, against the loopback server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.analysis.llm_engine.fake_server import FakeLLM, completion
from tests.analysis.llm_engine.test_llm_analyzer import RECORD, _answer


def _run(fake: FakeLLM, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_GROWTH_")}
    env |= {
        "SALES_GROWTH_LLM_BASE_URL": fake.base_url,
        "SALES_GROWTH_LLM_MODEL": "test-model",
        "SALES_GROWTH_LLM_API_KEY": "sk-cli-secret",
        "SALES_GROWTH_LLM_MAX_RETRIES": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "sales_growth.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_analyze_with_the_llm_engine(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.script = [completion(_answer())]
    record = tmp_path / "memo.txt"
    record.write_text(RECORD, encoding="utf-8")
    result = _run(fake_llm, "analyze", str(record), "--engine", "llm", "--json", "--session-date", "2026-11-02")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["engine"] == "llm"
    assert body["prompt_version"] == "analysis_v1"
    assert "sk-cli-secret" not in result.stdout + result.stderr


def test_eval_with_the_llm_engine_falls_back_visibly_when_the_model_fails(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.script = [completion("not json")]
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "r1.txt").write_text(RECORD, encoding="utf-8")
    (tmp_path / "labels.jsonl").write_text(
        '{"id": "r1", "file": "cases/r1.txt", "session_date": "2026-11-02", "gold": {"challenges": ["hearing"], '
        '"strengths": ["preparation"], "primary_challenge": "hearing", "keywords": ["青葉電機"]}}\n',
        encoding="utf-8",
    )
    result = _run(fake_llm, "eval", str(tmp_path), "--engine", "llm", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["evidence_validity"] == 1.0
    assert len(fake_llm.requests) == 2
