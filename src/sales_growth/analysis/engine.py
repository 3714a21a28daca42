"""The built-in engine: Japanese NLP and the skill lexicons, offline, no API key."""

from __future__ import annotations

import time
from datetime import date
from functools import lru_cache

from sales_growth.analysis.classifier import classify, load_model
from sales_growth.analysis.decoding import check_text, decode_record
from sales_growth.analysis.findings import load_lexicon
from sales_growth.analysis.keywords import extract_keywords
from sales_growth.analysis.models import AnalysisResult
from sales_growth.analysis.nlp import tokenize
from sales_growth.analysis.planner import load_templates, plan_actions
from sales_growth.analysis.reading import read_transcript
from sales_growth.analysis.summary import summarize


class LocalAnalyzer:
    """Implements :class:`~sales_growth.analysis.models.Analyzer` with the built-in engine."""

    name = "local"

    def analyze(self, text: str, *, session_date: date, filename: str | None = None) -> AnalysisResult:
        transcript = read_transcript(check_text(text), filename=filename)
        report = classify(transcript)
        keywords = extract_keywords(transcript)
        return AnalysisResult(
            engine=self.name,
            summary=summarize(transcript, report, keywords),
            keywords=keywords,
            findings=report.findings,
            primary_challenge=report.primary_challenge,
            action_plan=plan_actions(transcript, report, session_date=session_date, keywords=keywords),
        )

    def analyze_bytes(self, data: bytes, *, filename: str, session_date: date) -> AnalysisResult:
        return self.analyze(decode_record(data), session_date=session_date, filename=filename)


@lru_cache(maxsize=1)
def get_local_analyzer() -> LocalAnalyzer:
    """The process's engine, with its dictionary and knowledge files loaded (once)."""
    started = time.perf_counter()
    load_lexicon()
    load_model()
    load_templates()
    tokenize("準備")  # loads Sudachi's dictionary
    analyzer = LocalAnalyzer()
    analyzer.load_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    return analyzer
