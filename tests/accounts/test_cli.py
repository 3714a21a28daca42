"""``sales-growth users add|list|import``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sales_growth.accounts import passwords
from sales_growth.accounts.models import Role, User
from sales_growth.cli import app
from tests.factories import make_user


def _users(session: Session) -> dict[str, User]:
    session.expire_all()
    return {user.email: user for user in session.scalars(select(User))}


def test_add_creates_a_user_under_a_manager(cli: CliRunner, db_session: Session) -> None:
    boss = make_user(db_session, role=Role.MANAGER, email="boss@example.com")
    result = cli.invoke(
        app,
        ["users", "add", "--email", "New@Example.com", "--name", "新人", "--role", "member", "--manager", boss.email],
        env={"SALES_GROWTH_PASSWORD": "long-enough-1"},
    )
    assert result.exit_code == 0, result.output
    user = _users(db_session)["new@example.com"]
    assert user.manager_id == boss.id
    assert passwords.verify("long-enough-1", user.password_hash)


def test_add_refuses_a_short_password_in_japanese(cli: CliRunner, db_session: Session) -> None:
    args = ["users", "add", "--email", "a@example.com", "--name", "A", "--role", "member", "--password", "short"]
    result = cli.invoke(app, args)
    assert result.exit_code != 0
    assert "8文字以上" in result.output
    assert "Traceback" not in result.output
    assert "a@example.com" not in _users(db_session)


def test_add_without_any_password_and_no_terminal_fails_clearly(cli: CliRunner) -> None:
    result = cli.invoke(app, ["users", "add", "--email", "a@example.com", "--name", "A", "--role", "member"])
    assert result.exit_code != 0
    assert "SALES_GROWTH_PASSWORD" in result.output


def test_list_shows_every_user(cli: CliRunner, db_session: Session) -> None:
    make_user(db_session, email="one@example.com", name="一郎")
    result = cli.invoke(app, ["users", "list"])
    assert result.exit_code == 0
    assert "one@example.com" in result.output
    assert "一郎" in result.output


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "users.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_creates_managers_listed_after_their_reports(
    cli: CliRunner, db_session: Session, tmp_path: Path
) -> None:
    text = (
        "email,name,role,manager_email,password\n"
        "a1@example.com,部下,member,m1@example.com,long-enough-1\n"
        "m1@example.com,課長,manager,,\n"
    )
    result = cli.invoke(app, ["users", "import", _csv(tmp_path, text, "utf-8-sig")])
    assert result.exit_code == 0, result.output
    users = _users(db_session)
    assert users["a1@example.com"].manager_id == users["m1@example.com"].id
    assert "m1@example.com" in result.output  # its generated password is printed once
    assert "初期パスワード" in result.output


def test_import_accepts_cp932(cli: CliRunner, db_session: Session, tmp_path: Path) -> None:
    text = "email,name,role,manager_email\nsato@example.com,佐藤花子,member,\n"
    result = cli.invoke(app, ["users", "import", _csv(tmp_path, text, "cp932")])
    assert result.exit_code == 0, result.output
    assert _users(db_session)["sato@example.com"].name == "佐藤花子"


def test_import_refuses_the_whole_file_with_line_numbers(cli: CliRunner, db_session: Session, tmp_path: Path) -> None:
    make_user(db_session, email="member@example.com", role=Role.MEMBER)
    text = (
        "email,name,role,manager_email\n"
        "ok@example.com,正常,member,\n"
        "not-an-email,誤り,member,\n"
        "x@example.com,役割,boss,\n"
        "ok@example.com,重複,member,\n"
        "y@example.com,上司なし,member,ghost@example.com\n"
        "z@example.com,上司が部下,member,member@example.com\n"
    )
    result = cli.invoke(app, ["users", "import", _csv(tmp_path, text)])
    assert result.exit_code != 0
    for line in ("3行目", "4行目", "5行目", "6行目", "7行目"):
        assert line in result.output
    assert "2行目" not in result.output
    assert "ok@example.com" not in _users(db_session)


def test_import_refuses_a_reporting_cycle(cli: CliRunner, db_session: Session, tmp_path: Path) -> None:
    text = (
        "email,name,role,manager_email\np@example.com,P,manager,q@example.com\nq@example.com,Q,manager,p@example.com\n"
    )
    result = cli.invoke(app, ["users", "import", _csv(tmp_path, text)])
    assert result.exit_code != 0
    assert "循環" in result.output
    assert _users(db_session) == {}
