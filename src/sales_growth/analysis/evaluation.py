"""Scoring an engine on a labelled set laid out as ``shared/eval/README.md`` describes.

Scores: findings F1 (micro over (record, skill, polarity) triples) with precision and recall, per-skill F1,
primary-challenge accuracy (null included), evidence validity (verbatim after folding whitespace), keyword
recall@10 (exact or containment) and action-plan validity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from sales_growth.analysis.errors import AnalysisInputError
from sales_growth.analysis.models import SKILL_IDS, AnalysisResult, Analyzer

Triple = tuple[str, str, str]  # (record id, skill, polarity)


class Gold(BaseModel):
    challenges: list[str]
    strengths: list[str]
    primary_challenge: str | None
    keywords: list[str]


class LabelledRecord(BaseModel):
    id: str
    file: str
    encoding: str = "utf-8"
    session_date: date
    gold: Gold


@dataclass(frozen=True)
class Case:
    label: LabelledRecord
    text: str


@dataclass
class RecordScore:
    id: str
    missed: list[tuple[str, str]]
    false: list[tuple[str, str, str]]  # (skill, polarity, evidence)
    primary: tuple[str | None, str | None]  # (predicted, gold)
    invalid_evidence: list[str]
    plan_problems: list[str]


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    per_skill_f1: dict[str, float]
    primary_accuracy: float
    evidence_validity: float
    keyword_recall_at_10: float
    action_plan_validity: float
    records: list[RecordScore] = field(default_factory=list)

    def as_dict(self, *, verbose: bool = False) -> dict[str, object]:
        body: dict[str, object] = {
            "findings": {"precision": self.precision, "recall": self.recall, "f1": self.f1},
            "per_skill_f1": self.per_skill_f1,
            "primary_accuracy": self.primary_accuracy,
            "evidence_validity": self.evidence_validity,
            "keyword_recall_at_10": self.keyword_recall_at_10,
            "action_plan_validity": self.action_plan_validity,
            "records": len(self.records),
        }
        if verbose:
            body["per_record"] = [record.__dict__ for record in self.records]
        return body


class DatasetError(ValueError):
    """The folder is not a labelled set (Japanese message for the CLI)."""


def load_dataset(directory: Path) -> list[Case]:
    labels = directory / "labels.jsonl"
    if not labels.is_file():
        raise DatasetError(f"{directory} に labels.jsonl が見つかりません。評価用データのフォルダを指定してください。")
    cases = []
    for number, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            label = LabelledRecord.model_validate_json(line)
            data = (directory / label.file).read_bytes()
        except (ValueError, OSError) as exc:
            raise DatasetError(f"labels.jsonl の {number} 行目を読めません: {exc}") from exc
        text = data.decode(label.encoding).removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        cases.append(Case(label, text))
    return cases


def fold(text: str) -> str:
    return re.sub(r"\s+", "", text)


def evaluate(cases: list[Case], analyzer: Analyzer, *, progress: Callable[[Case], None] | None = None) -> Scores:
    results = []
    for case in cases:
        results.append(_run(analyzer, case))
        if progress:
            progress(case)
    return score(cases, results)


def _run(analyzer: Analyzer, case: Case) -> AnalysisResult:
    try:
        return analyzer.analyze(case.text, session_date=case.label.session_date)
    except AnalysisInputError:
        return AnalysisResult(
            engine=analyzer.name, summary="", keywords=[], findings=[], primary_challenge=None, action_plan=[]
        )


def score(cases: list[Case], results: list[AnalysisResult]) -> Scores:
    """Scores of ``results`` (one per case, in order) against the cases' gold labels."""
    predicted: set[Triple] = set()
    gold: set[Triple] = set()
    records = []
    evidence_ok = evidence_all = primary_ok = keyword_hits = keyword_all = plans_ok = 0
    for case, result in zip(cases, results, strict=True):
        record_id = case.label.id
        mine = {(record_id, f.skill, f.polarity) for f in result.findings}
        theirs = _gold_triples(case.label)
        predicted |= mine
        gold |= theirs
        folded = fold(case.text)
        invalid = [f.evidence for f in result.findings if fold(f.evidence) not in folded]
        evidence_all += len(result.findings)
        evidence_ok += len(result.findings) - len(invalid)
        primary_ok += result.primary_challenge == case.label.gold.primary_challenge
        hits = keyword_recall_hits(case.label.gold.keywords, result.keywords)
        keyword_hits += hits
        keyword_all += len(case.label.gold.keywords)
        problems = plan_problems(result, case.label.session_date)
        plans_ok += not problems
        records.append(
            RecordScore(
                id=record_id,
                missed=sorted((s, p) for _, s, p in theirs - mine),
                false=[
                    (f.skill, f.polarity, f.evidence)
                    for f in result.findings
                    if (record_id, f.skill, f.polarity) not in theirs
                ],
                primary=(result.primary_challenge, case.label.gold.primary_challenge),
                invalid_evidence=invalid,
                plan_problems=problems,
            )
        )
    precision, recall, f1 = _prf(predicted, gold)
    count = max(1, len(cases))
    return Scores(
        precision=precision,
        recall=recall,
        f1=f1,
        per_skill_f1={skill: _prf(_of(predicted, skill), _of(gold, skill))[2] for skill in SKILL_IDS},
        primary_accuracy=round(primary_ok / count, 4),
        evidence_validity=round(evidence_ok / evidence_all, 4) if evidence_all else 1.0,
        keyword_recall_at_10=round(keyword_hits / keyword_all, 4) if keyword_all else 1.0,
        action_plan_validity=round(plans_ok / count, 4),
        records=records,
    )


def _gold_triples(label: LabelledRecord) -> set[Triple]:
    return {(label.id, s, "challenge") for s in label.gold.challenges} | {
        (label.id, s, "strength") for s in label.gold.strengths
    }


def _of(triples: Iterable[Triple], skill: str) -> set[Triple]:
    return {t for t in triples if t[1] == skill}


def _prf(predicted: set[Triple], gold: set[Triple]) -> tuple[float, float, float]:
    hits = len(predicted & gold)
    precision = hits / len(predicted) if predicted else (1.0 if not gold else 0.0)
    recall = hits / len(gold) if gold else (1.0 if not predicted else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)


def keyword_recall_hits(gold: list[str], predicted: list[str]) -> int:
    top = predicted[:10]
    return sum(any(g == k or g in k or k in g for k in top) for g in gold)


_MEASURABLE = re.compile(r"[0-9０-９]|[一二三四五六七八九十]|件|回|割|すべて|全て|毎|以内|まで|0件|%|％")


def plan_problems(result: AnalysisResult, session_date: date) -> list[str]:
    """What makes an action plan invalid, in Japanese; empty when it is valid."""
    problems = []
    plan = result.action_plan
    challenges = {f.skill for f in result.findings if f.polarity == "challenge"}
    if challenges and not 1 <= len(plan) <= 6:
        problems.append(f"アクション数が {len(plan)} 件です（1〜6件）")
    if not challenges and len(plan) > 6:
        problems.append("アクションが多すぎます")
    for action in plan:
        days = (action.due_date - session_date).days
        if not action.title.strip():
            problems.append("タイトルのないアクションがあります")
        if action.skill not in SKILL_IDS:
            problems.append(f"不明なスキル {action.skill}")
        if not 1 <= days <= 42:
            problems.append(f"期限が実施日の {days} 日後です（1〜42日）")
        if not _MEASURABLE.search(action.success_metric):
            problems.append(f"達成基準が測れません: {action.success_metric}")
    uncovered = challenges - {a.skill for a in plan}
    if uncovered:
        problems.append(f"アクションのない課題: {', '.join(sorted(uncovered))}")
    return problems


def to_json(scores: Scores, *, verbose: bool) -> str:
    return json.dumps(scores.as_dict(verbose=verbose), ensure_ascii=False, indent=2)
