"""``sales-growth demo``, and the sample organisation of ``sales-growth serve --demo``: fill it, print the logins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from sales_growth.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from sales_growth.demo.service import SeedReport
    from sales_growth.settings import Settings

_ROLE_JA = {"admin": "管理者", "manager": "マネージャー", "member": "メンバー"}
_KEPT = "（設定済みのもの）"  # shown for an account whose password is not the one given


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


def demo_command(
    password: Annotated[
        str,
        typer.Option(
            help="サンプルのアカウントのパスワード（8文字以上）", envvar="SALES_GROWTH_PASSWORD", show_envvar=True
        ),
    ] = DEMO_PASSWORD,
) -> None:
    """サンプル組織（管理者1人・マネージャー2人・メンバー6人と、分析済みの1on1の記録20件）を作り、ログイン情報を表示します。"""
    from sales_growth.ops.logs import configure_logging
    from sales_growth.settings import get_settings

    # The audit rows of the new accounts are in the database; their log lines would only bury the logins.
    configure_logging(level="WARNING")
    fill_and_print(get_settings(), password)
    typer.echo("sales-growth serve で起動し、http://127.0.0.1:8000/login から上のアカウントでログインしてください。")


def fill_and_print(settings: Settings, password: str, *, login_url: str | None = None) -> SeedReport:
    """Migrate, fill the sample organisation (unless it is complete) and print what happened and the logins."""
    from sales_growth.errors import DomainError

    _migrate(settings)
    try:
        report = _seed_with_progress(settings, password)
    except DomainError as error:
        _fail(error.message)
    typer.echo(_outcome(report))
    _print_logins(report, login_url)
    return report


def _migrate(settings: Settings) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from sales_growth.db import upgrade_schema

    try:
        upgrade_schema(settings)
    except (SQLAlchemyError, OSError) as error:
        _fail(
            f"データベースを開けません（SALES_GROWTH_DATA_DIR / SALES_GROWTH_DATABASE_URL を確認してください）: {error}"
        )


def _seed_with_progress(settings: Settings, password: str) -> SeedReport:
    from rich.progress import Progress

    from sales_growth.demo import scenario, service

    with Progress(transient=True) as progress:
        task = progress.add_task("サンプル組織を用意しています", total=len(scenario.load().records))
        return service.seed(settings, password=password, on_record=lambda _record: progress.advance(task))


def _outcome(report: SeedReport) -> str:
    if not report.added:
        return "サンプル組織は既にあります。何も追加していません。"
    if report.existed:
        return "途中まで作られていたサンプル組織を完成させました。"
    return f"サンプル組織を作成しました（ユーザー{len(report.logins)}人、分析済みの1on1の記録{report.records}件）。"


def _print_logins(report: SeedReport, login_url: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    title = f"サンプル組織のログイン（{login_url}）" if login_url else "サンプル組織のログイン"
    table = Table("役割", "名前", "メールアドレス", "パスワード", "上司", title=title)
    for login in report.logins:
        table.add_row(
            _ROLE_JA.get(login.role, login.role),
            login.name,
            login.email,
            login.password or _KEPT,
            login.manager or "",
        )
    Console(width=120).print(table)
    if any(login.password is None for login in report.logins):
        typer.echo(f"{_KEPT}: 既にあったアカウントのパスワードは変えていません。")
