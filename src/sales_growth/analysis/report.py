"""Readable Japanese terminal output for ``analyze`` and ``eval`` (Rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sales_growth.analysis.evaluation import Scores
from sales_growth.analysis.models import SKILL_LABELS_JA, AnalysisResult


def print_report(result: AnalysisResult, console: Console | None = None) -> None:
    out = console or Console()
    out.rule("要約")
    out.print(result.summary)
    out.rule("キーワード")
    out.print("、".join(result.keywords) or "（なし）")
    for polarity, heading in (("strength", "強み"), ("challenge", "課題")):
        out.rule(heading)
        found = [f for f in result.findings if f.polarity == polarity]
        for finding in found:
            primary = "（最重要）" if polarity == "challenge" and finding.skill == result.primary_challenge else ""
            out.print(f"■ {SKILL_LABELS_JA[finding.skill]}{primary}  確信度 {finding.confidence:.2f}")
            out.print(f"  根拠:「{finding.evidence}」", markup=False)
        if not found:
            out.print("（なし）")
    out.rule("アクションプラン")
    for number, action in enumerate(result.action_plan, start=1):
        out.print(f"{number}. {action.title}（{SKILL_LABELS_JA[action.skill]}、期限 {action.due_date:%Y-%m-%d}）")
        out.print(f"   達成基準: {action.success_metric}", markup=False)
        for step in action.steps:
            out.print(f"   - {step}", markup=False)
    if not result.action_plan:
        out.print("（課題がないため、アクションはありません）")
    if result.fallback_reason:
        out.print(f"※ {result.fallback_reason}", markup=False)


def print_scores(scores: Scores, *, verbose: bool, console: Console | None = None) -> None:
    out = console or Console()
    table = Table(title=f"分析の精度（{len(scores.records)}件）")
    table.add_column("指標")
    table.add_column("値", justify="right")
    table.add_row("findings F1", f"{scores.f1:.3f}")
    table.add_row("  precision", f"{scores.precision:.3f}")
    table.add_row("  recall", f"{scores.recall:.3f}")
    table.add_row("primary accuracy", f"{scores.primary_accuracy:.3f}")
    table.add_row("evidence validity", f"{scores.evidence_validity:.3f}")
    table.add_row("keyword recall@10", f"{scores.keyword_recall_at_10:.3f}")
    table.add_row("action plan validity", f"{scores.action_plan_validity:.3f}")
    out.print(table)
    skills = Table(title="スキル別 F1")
    skills.add_column("スキル")
    skills.add_column("F1", justify="right")
    for skill, f1 in scores.per_skill_f1.items():
        skills.add_row(f"{SKILL_LABELS_JA[skill]} ({skill})", f"{f1:.3f}")  # type: ignore[index]
    out.print(skills)
    if verbose:
        for record in scores.records:
            out.rule(record.id)
            out.print(f"primary: 予測 {record.primary[0]} / 正解 {record.primary[1]}", markup=False)
            for skill, polarity in record.missed:
                out.print(f"  見落とし: {skill} {polarity}", markup=False)
            for skill, polarity, evidence in record.false:
                out.print(f"  誤検出: {skill} {polarity}「{evidence}」", markup=False)
            for problem in record.plan_problems:
                out.print(f"  プラン: {problem}", markup=False)
