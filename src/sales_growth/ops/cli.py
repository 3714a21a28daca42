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


maintenance_app = typer.Typer(help="メンテナンスモードと予告", no_args_is_help=True)


@maintenance_app.command("on")
def maintenance_on(
    message: Annotated[str | None, typer.Option(help="利用者に表示するメッセージ")] = None,
    until: Annotated[str | None, typer.Option(help="終了予定（YYYY-MM-DDTHH:MM、日本時間）")] = None,
) -> None:
    """メンテナンスモードにします。管理者以外のリクエストは 503 とメッセージを受け取ります。"""
    from sales_growth.db import utcnow
    from sales_growth.ops import maintenance

    end = parse_moment(until, option="--until") if until else None
    with _session() as session:
        status = maintenance.turn_on(session, message=message, until=end, now=utcnow())
    typer.echo(f"メンテナンスモードにしました（各Webプロセスには数秒で反映されます）: {status.notice()}")


@maintenance_app.command("off")
def maintenance_off() -> None:
    """メンテナンスモードを終了します。"""
    from sales_growth.db import utcnow
    from sales_growth.ops import maintenance

    with _session() as session:
        maintenance.turn_off(session, now=utcnow())
    typer.echo("メンテナンスモードを終了しました。")


@maintenance_app.command("announce")
def maintenance_announce(
    start: Annotated[str, typer.Option(help="開始日時（日本時間）")],
    end: Annotated[str, typer.Option(help="終了日時（日本時間）")],
    message: Annotated[str, typer.Option(help="お知らせの本文")],
) -> None:
    """次回のメンテナンスを予告します。終了までの間、各ページにお知らせが表示されます。"""
    from sales_growth.ops import maintenance

    begins, ends = parse_moment(start, option="--start"), parse_moment(end, option="--end")
    if ends <= begins:
        _fail("--end は --start より後の日時にしてください。")
    with _session() as session:
        status = maintenance.announce(session, start=begins, end=ends, message=message)
    typer.echo(f"予告しました: {status.banner(begins)}")


@maintenance_app.command("status")
def maintenance_status() -> None:
    """メンテナンスの状態と予告を表示します。"""
    from sales_growth.db import utcnow
    from sales_growth.ops import maintenance

    with _session() as session:
        status = maintenance.read_status(session)
    typer.echo(f"メンテナンス中: {status.notice()}" if status.active else "メンテナンス中ではありません。")
    typer.echo(status.banner(utcnow()) or "予告はありません。")


backup_app = typer.Typer(help="バックアップと復元", no_args_is_help=True)


def _record(action: str, *, file: str, rows: int, revision: str) -> None:
    """An audit event about the whole database (backups, restores), in a transaction of its own."""
    from sales_growth.db import create_db_engine, create_session_factory, transaction
    from sales_growth.ops import audit
    from sales_growth.settings import get_settings

    engine = create_db_engine(get_settings())
    try:
        with transaction(create_session_factory(engine)) as session:
            audit.record_event(action, session=session, address="cli", file=file, rows=rows, revision=revision)
    finally:
        engine.dispose()


@backup_app.command("create")
def backup_create(
    out: Annotated[Path | None, typer.Option(help="保存先フォルダ（省略時は SALES_GROWTH_BACKUP_DIR）")] = None,
) -> None:
    """全データの整合したバックアップを1つのアーカイブに作成します（チェックサム付き）。"""
    from sales_growth.db import upgrade_schema
    from sales_growth.ops import backup
    from sales_growth.settings import get_settings

    settings = get_settings()
    folder = out or settings.resolved_backup_dir
    try:
        upgrade_schema(settings)
        summary = backup.create_backup(settings, folder)
    except backup.BackupError as error:
        _fail(error.message)
    except OSError as error:
        _fail(f"バックアップを書き込めません: {folder}（{error.strerror}）")
    _record("backup_created", file=summary.path.name, rows=summary.total_rows, revision=summary.revision)
    typer.echo(f"バックアップを作成しました: {summary.path}（{summary.total_rows}行、ファイル{summary.files}件）")


@backup_app.command("restore")
def backup_restore(file: Annotated[Path, typer.Argument(help="バックアップファイル（.tar.gz）")]) -> None:
    """バックアップを空のデータベースに復元します（先に全チェックサムを確認し、最後にスキーマを最新にします）。"""
    from sales_growth.ops import backup
    from sales_growth.settings import get_settings

    try:
        summary = backup.restore_backup(get_settings(), file)
    except backup.BackupError as error:
        _fail(error.message)
    _record("backup_restored", file=file.name, rows=summary.total_rows, revision=summary.revision)
    typer.echo(f"復元しました: {file.name}（{summary.total_rows}行、ファイル{summary.files}件）")


@backup_app.command("verify")
def backup_verify(file: Annotated[Path, typer.Argument(help="バックアップファイル（.tar.gz）")]) -> None:
    """バックアップのチェックサムと行数を確認します（データベースには触れません）。"""
    from sales_growth.ops import backup

    try:
        manifest = backup.verify_archive(file).manifest
    except backup.BackupError as error:
        _fail(error.message)
    rows = sum(info["rows"] for info in manifest["tables"].values())
    typer.echo(f"正常なバックアップです: {file.name}（作成 {manifest['created_at']}、{rows}行）")
