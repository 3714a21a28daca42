"""``sales-growth audit|maintenance|backup ...``: the operations commands. Each migrates first and owns its
transaction, like the ``users`` commands."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from sales_growth.accounts.cli import _fail, _session

audit_app = typer.Typer(help="監査ログ", no_args_is_help=True)

JST = ZoneInfo("Asia/Tokyo")


def parse_moment(value: str, *, option: str) -> datetime:
    """``YYYY-MM-DD`` (the start of that day) or an ISO date-time; without a zone, Japan time."""
    text = value.strip()
    try:
        moment = datetime.combine(date.fromisoformat(text), time()) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{option} の日時を読み取れません（例: 2026-12-01 や 2026-12-01T09:00）: {value}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=JST)


@audit_app.command("export")
def export(
    since: Annotated[str, typer.Option(help="この日時以降（YYYY-MM-DD か ISO 形式、日本時間）")],
    until: Annotated[str | None, typer.Option(help="この日時より前")] = None,
    out: Annotated[Path | None, typer.Option(help="書き出すCSVファイル（省略時は標準出力）")] = None,
) -> None:
    """監査ログをCSVで書き出します（古い順、UTF-8）。書き出し自体も監査ログに残ります。"""
    from sqlalchemy import select

    from sales_growth.accounts.models import User
    from sales_growth.ops import audit

    filters = audit.AuditFilter(
        since=parse_moment(since, option="--since"), until=parse_moment(until, option="--until") if until else None
    )
    with _session() as session:
        emails = {row.id: row.email for row in session.execute(select(User.id, User.email))}
        events = audit.iter_events(session, filters)
        if out is None:
            count = audit.write_csv(events, emails, sys.stdout)
        else:
            try:
                # With a BOM: Excel on Japanese Windows reads it as UTF-8, not Shift_JIS.
                with out.open("w", encoding="utf-8-sig", newline="") as handle:
                    count = audit.write_csv(events, emails, handle)
            except OSError as error:
                _fail(f"ファイルに書き込めません: {out}（{error.strerror}）")
        audit.record_event(
            "audit_exported", session=session, address="cli", since=filters.since, until=filters.until, rows=count
        )
    if out is not None:
        typer.echo(f"{count}件の監査ログを書き出しました: {out}")
