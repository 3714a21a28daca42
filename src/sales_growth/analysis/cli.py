"""The ``analyze`` and ``eval`` commands. Heavy modules are imported inside the commands."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from sales_growth.analysis.models import AnalysisResult

EngineName = Literal["local", "llm"]


def contract_json(result: AnalysisResult) -> dict[str, object]:
    """The ``analyze --json`` shape of DESIGN.md: every contract key always present (``primary_challenge`` is
    ``null`` when there is no challenge); optional extras only when set."""
    body: dict[str, object] = result.model_dump(mode="json")
    return {key: value for key, value in body.items() if value is not None or key in _CONTRACT_KEYS}


_CONTRACT_KEYS = frozenset({"engine", "summary", "keywords", "findings", "primary_challenge", "action_plan"})


def _fail(message: str) -> None:
    typer.echo(f"エラー: {message}", err=True)
    raise typer.Exit(code=2)


def _analyzer(engine: str) -> object:
    from sales_growth.analysis.engines import get_analyzer
    from sales_growth.settings import get_settings

    settings = get_settings()
    if engine == "llm" and not (settings.llm_base_url and settings.llm_model):
        _fail(
            "LLMエンジンが設定されていません。SALES_GROWTH_LLM_BASE_URL と SALES_GROWTH_LLM_MODEL を設定してください。"
        )
    return get_analyzer(settings.model_copy(update={"engine": engine}))


def analyze_command(
    file: Annotated[Path, typer.Argument(help="1on1の記録ファイル（.txt .md .vtt .srt）")],
    json_output: Annotated[bool, typer.Option("--json", help="JSONで出力する")] = False,
    session_date: Annotated[str | None, typer.Option("--session-date", help="実施日（YYYY-MM-DD、既定は今日）")] = None,
    engine: Annotated[str, typer.Option(help="分析エンジン（local または llm）")] = "local",
) -> None:
    """1on1の記録を分析して、要約・キーワード・強みと課題・アクションプランを表示します。"""
    from sales_growth.analysis.decoding import MAX_RECORD_BYTES, check_suffix, decode_record
    from sales_growth.analysis.errors import AnalysisInputError

    held_on = _parse_date(session_date)
    if engine not in {"local", "llm"}:
        _fail("--engine には local か llm を指定してください。")
    if not file.is_file():
        _fail(f"ファイルが見つかりません: {file}")
    try:
        check_suffix(file.name)
        if file.stat().st_size > MAX_RECORD_BYTES:
            decode_record(b"x" * (MAX_RECORD_BYTES + 1))
        text = decode_record(file.read_bytes())
    except AnalysisInputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"ファイルを読めません: {exc.strerror}")
    analyzer = _analyzer(engine)
    result = analyzer.analyze(text, session_date=held_on, filename=file.name)  # type: ignore[attr-defined]
    if json_output:
        typer.echo(json.dumps(contract_json(result), ensure_ascii=False, indent=2))
    else:
        from sales_growth.analysis.report import print_report

        print_report(result)


def _parse_date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"日付は YYYY-MM-DD の形で指定してください: {value}")
        raise  # unreachable: _fail exits


def eval_command(
    directory: Annotated[Path, typer.Argument(help="評価用データのフォルダ（labels.jsonl と cases/）")],
    json_output: Annotated[bool, typer.Option("--json", help="JSONで出力する")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="記録ごとの見落とし・誤検出も表示する")] = False,
    engine: Annotated[str, typer.Option(help="分析エンジン（local または llm）")] = "local",
) -> None:
    """ラベル付きの評価データで分析の精度を測ります。"""
    from rich.console import Console
    from rich.progress import Progress

    from sales_growth.analysis.evaluation import DatasetError, evaluate, load_dataset, to_json
    from sales_growth.analysis.report import print_scores

    try:
        cases = load_dataset(directory)
    except DatasetError as exc:
        _fail(str(exc))
    analyzer = _analyzer(engine)
    with Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("評価中", total=len(cases))
        scores = evaluate(cases, analyzer, progress=lambda _case: bar.advance(task))  # type: ignore[arg-type]
    if json_output:
        typer.echo(to_json(scores, verbose=verbose))
    else:
        print_scores(scores, verbose=verbose)
