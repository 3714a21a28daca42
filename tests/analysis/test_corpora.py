"""Real Japanese dialogues that nobody here wrote (shared/corpora): every one analyses without error, evidence
stays verbatim, and nobody is judged in a counselling chat or a group meeting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from sales_growth.analysis.engine import get_local_analyzer
from sales_growth.analysis.reading import read_transcript

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"

pytestmark = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"corpora not found at {CORPORA}")


def _render(turns: Iterator[tuple[str, str]]) -> str:
    return "".join(f"{speaker}：{utterance}\n" for speaker, utterance in turns)


def _dialogues(kind: str) -> list[str]:
    if kind == "kokorochat":
        files = sorted((CORPORA / "kokorochat").glob("*.json"))
        return [
            _render((t["role"], t["utterance"]) for t in json.loads(f.read_text("utf-8"))["dialogue"]) for f in files
        ]
    key = "ja_speaker" if kind == "bsd" else "en_speaker"
    items = [d for name in ("dev.json", "test.json") for d in json.loads((CORPORA / kind / name).read_text("utf-8"))]
    return [_render((c[key], c["ja_sentence"]) for c in item["conversation"]) for item in items]


@pytest.mark.parametrize("kind", ["bsd", "ami-ja", "kokorochat"])
def test_every_dialogue_analyses_with_verbatim_evidence(kind: str) -> None:
    analyzer = get_local_analyzer()
    for text in _dialogues(kind):
        result = analyzer.analyze(text, session_date=date(2026, 11, 2))
        assert all(f.evidence in text for f in result.findings)
        assert all(k in text for k in result.keywords)
        assert len(result.summary) <= 400


@pytest.mark.parametrize("kind", ["ami-ja", "kokorochat"])
def test_no_one_is_judged_in_meetings_and_counselling(kind: str) -> None:
    analyzer = get_local_analyzer()
    for text in _dialogues(kind):
        assert analyzer.analyze(text, session_date=date(2026, 11, 2)).findings == []


def test_business_dialogues_judge_only_someone_taken_for_a_junior() -> None:
    analyzer = get_local_analyzer()
    for text in _dialogues("bsd"):
        transcript = read_transcript(text)
        findings = analyzer.analyze(text, session_date=date(2026, 11, 2)).findings
        assert not findings or transcript.junior is not None
