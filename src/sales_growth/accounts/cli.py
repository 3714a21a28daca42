"""``sales-growth users ...``: add, list and import users. Each command migrates first and owns its transaction."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

users_app = typer.Typer(help="ユーザーの管理", no_args_is_help=True)
JST = ZoneInfo("Asia/Tokyo")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


@contextmanager
def _session() -> Iterator[Session]:
    """A migrated database and one transaction around the command; the engine is closed afterwards."""
    from sqlalchemy.exc import SQLAlchemyError

    from sales_growth.db import create_db_engine, create_session_factory, transaction, upgrade_schema
    from sales_growth.settings import get_settings

    settings = get_settings()
    try:
        engine = create_db_engine(settings)  # first: it creates the data folder a fresh SQLite needs
        upgrade_schema(settings)
    except (SQLAlchemyError, OSError) as error:
        _fail(
            f"データベースを開けません（SALES_GROWTH_DATA_DIR / SALES_GROWTH_DATABASE_URL を確認してください）: {error}"
        )
    try:
        # With the cache of the web processes (in Redis, when they share one): a deactivation here ends sessions.
        from sales_growth.ops.cache import make_cache

        with transaction(create_session_factory(engine, make_cache(settings.redis_url, settings.data_dir))) as session:
            yield session
    finally:
        engine.dispose()


def _ask_password(password: str | None) -> str:
    if password:
        return password
    if not sys.stdin.isatty():
        _fail("パスワードを --password か環境変数 SALES_GROWTH_PASSWORD で指定してください。")
    value: str = typer.prompt("パスワード", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def add(
    email: Annotated[str, typer.Option(help="メールアドレス")],
    name: Annotated[str, typer.Option(help="表示名")],
    role: Annotated[str, typer.Option(help="member / manager / admin")],
    manager: Annotated[str | None, typer.Option(help="上司のメールアドレス")] = None,
    password: Annotated[
        str | None, typer.Option(help="パスワード（8文字以上）", envvar="SALES_GROWTH_PASSWORD", show_envvar=True)
    ] = None,
) -> None:
    """ユーザーを1人追加します。"""
    from sqlalchemy import select

    from sales_growth.accounts import service
    from sales_growth.accounts.models import Role, User
    from sales_growth.accounts.schemas import UserCreate
    from sales_growth.errors import DomainError

    if role not in {item.value for item in Role}:
        _fail(f"役割は member / manager / admin のいずれかです: {role}")
    secret = _ask_password(password)
    try:
        with _session() as session:
            manager_id = None
            if manager:
                manager_id = session.scalar(select(User.id).where(User.email == manager.strip().lower()))
                if manager_id is None:
                    raise DomainError(f"上司が見つかりません: {manager}")
            data = UserCreate(email=email, name=name, role=Role(role), manager_id=manager_id, password=secret)
            user = service.create_user(session, None, data)
    except DomainError as error:
        _fail(error.message)
    typer.echo(f"ユーザーを追加しました: {user.email}（{user.role}）")


@users_app.command("list")
def list_users() -> None:
    """ユーザーの一覧を表示します。"""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from sales_growth.accounts.models import User

    with _session() as session:
        users = list(session.scalars(select(User).order_by(User.id)))
        emails = {user.id: user.email for user in users}
        table = Table("ID", "メールアドレス", "名前", "役割", "上司", "状態", "最終ログイン")
        for user in users:
            table.add_row(
                str(user.id),
                user.email,
                user.name,
                user.role,
                emails.get(user.manager_id or 0, ""),
                "有効" if user.is_active else "無効",
                user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "",
            )
    Console().print(table)


@users_app.command("import")
def import_users(file: Annotated[Path, typer.Argument(help="CSV: email,name,role,manager_email[,password]")]) -> None:
    """CSVからユーザーを一括登録します（1行でも誤りがあれば何も登録しません）。"""
    from sales_growth.accounts import importing
    from sales_growth.errors import DomainError

    if not file.is_file():
        _fail(f"ファイルが見つかりません: {file}")
    try:
        rows = importing.parse(importing.decode(file.read_bytes()))
        with _session() as session:
            problems = importing.validate(session, rows)
            if problems:
                _fail("CSVに誤りがあるため、登録しませんでした:\n" + "\n".join(problems))
            results = importing.import_rows(session, rows)
    except DomainError as error:
        _fail(error.message)
    typer.echo(f"{len(results)}人のユーザーを登録しました。")
    for result in results:
        if result.generated_password:
            typer.echo(f"{result.email}\t初期パスワード: {result.generated_password}（この表示は一度きりです）")


accounts_app = typer.Typer(help="アカウントの見直し（90日未使用・権限の棚卸し）", no_args_is_help=True)

_ROLE_JA = {"admin": "管理者", "manager": "マネージャー", "member": "メンバー"}


def _when(moment: datetime | None) -> str:
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M") if moment else "なし"


@accounts_app.command("inactive")
def inactive(
    days: Annotated[int, typer.Option(min=1, help="この日数ログインのないアカウント")] = 90,
    deactivate: Annotated[bool, typer.Option(help="対象を無効にする（管理者は報告のみ）")] = False,
) -> None:
    """N日間ログインのないアカウントを表示し、--deactivate で無効にします（管理者は無効にしません）。"""
    from rich.console import Console
    from rich.table import Table

    from sales_growth.accounts import reviews
    from sales_growth.db import utcnow

    now = utcnow()
    with _session() as session:
        users = reviews.inactive_users(session, days=days, now=now)
        done = {u.id for u in reviews.deactivate_inactive(session, users, days=days, now=now)} if deactivate else set()
        table = Table(
            "ID", "メールアドレス", "名前", "役割", "最終ログイン", "対応", title=f"{days}日間ログインのないアカウント"
        )
        for user in users:
            table.add_row(
                str(user.id),
                user.email,
                user.name,
                _ROLE_JA.get(user.role, user.role),
                _when(user.last_login_at),
                _action(user.id in done, is_admin=user.role == "admin", deactivate=deactivate),
            )
    if not users:
        typer.echo(f"{days}日間ログインのないアカウントはありません。")
        return
    Console(width=160).print(table)
    summary = (
        f"{len(users)}件（無効化 {len(done)}件）" if deactivate else f"{len(users)}件（--deactivate で無効化できます）"
    )
    typer.echo(summary)


def _action(done: bool, *, is_admin: bool, deactivate: bool) -> str:
    if is_admin:
        return "管理者のため報告のみ"
    if done:
        return "無効にしました"
    return "無効化の候補" if not deactivate else ""


@accounts_app.command("review")
def review(as_csv: Annotated[bool, typer.Option("--csv", help="CSVで出力する")] = False) -> None:
    """全ユーザーの役割・上司・最終ログインを一覧にします（月次の権限棚卸し）。"""
    import csv

    from rich.console import Console
    from rich.table import Table

    from sales_growth.accounts import reviews

    with _session() as session:
        rows = reviews.review_rows(session)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["id", "email", "name", "role", "manager_email", "is_active", "last_login_at", "created_at"])
        for row in rows:
            last = row.last_login_at.isoformat() if row.last_login_at else ""
            writer.writerow(
                [
                    row.id,
                    row.email,
                    row.name,
                    row.role,
                    row.manager_email,
                    row.is_active,
                    last,
                    row.created_at.isoformat(),
                ]
            )
        return
    table = Table("ID", "メールアドレス", "名前", "役割", "上司", "状態", "最終ログイン", title="権限の棚卸し")
    for row in rows:
        table.add_row(
            str(row.id),
            row.email,
            row.name,
            _ROLE_JA.get(row.role, row.role),
            row.manager_email,
            "有効" if row.is_active else "無効",
            _when(row.last_login_at),
        )
    Console(width=160).print(table)
    typer.echo(f"{len(rows)}人（管理者 {sum(r.role == 'admin' for r in rows)}人）")
