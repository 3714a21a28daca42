"""``sales-growth users ...``: add, list and import users. Each command migrates first and owns its transaction."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

users_app = typer.Typer(help="ユーザーの管理", no_args_is_help=True)


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
        with transaction(create_session_factory(engine)) as session:
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
