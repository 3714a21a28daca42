"""``sales-growth demo``: fills the organisation and prints the logins as a table; a second run says so."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sales_growth.accounts import passwords
from sales_growth.accounts.models import User
from sales_growth.cli import app
from sales_growth.demo import DEMO_PASSWORD, scenario, service
from sales_growth.settings import Settings

EMAILS = [user.email for user in scenario.load().users]


def test_demo_prints_every_login_with_its_role_and_password(cli: CliRunner, db_session: Session) -> None:
    result = cli.invoke(app, ["demo", "--password", "practice-pass-1"])
    assert result.exit_code == 0, result.output
    assert "サンプル組織を作成しました" in result.output
    for email in EMAILS:
        line = next(line for line in result.output.splitlines() if email in line)
        assert "practice-pass-1" in line
    for role in ("管理者", "マネージャー", "メンバー"):
        assert role in result.output
    murata = db_session.scalar(select(User).where(User.email == "murata@example.com"))
    assert murata is not None
    assert passwords.verify("practice-pass-1", murata.password_hash)


def test_demo_again_says_the_organisation_exists_and_keeps_its_passwords(cli: CliRunner, settings: Settings) -> None:
    service.seed(settings)
    result = cli.invoke(app, ["demo"], env={"SALES_GROWTH_PASSWORD": "someone-elses-1"})
    assert result.exit_code == 0, result.output
    assert "サンプル組織は既にあります" in result.output
    assert "someone-elses-1" not in result.output
    assert DEMO_PASSWORD not in result.output  # the printed password would not be the one asked for
    assert result.output.count("（設定済みのもの）") == len(EMAILS) + 1  # each account, and the note that says why


def test_demo_refuses_a_short_password_in_japanese(cli: CliRunner) -> None:
    result = cli.invoke(app, ["demo", "--password", "short"])
    assert result.exit_code != 0
    assert "8文字以上" in result.output
    assert "Traceback" not in result.output


def test_the_readme_starts_with_the_demo_and_documents_its_logins() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    first_command = next(line for line in readme.splitlines() if line.startswith("python3 -m venv"))
    assert first_command == (
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/sales-growth serve --demo"
    )
    assert f"`{DEMO_PASSWORD}`" in readme
    for email in EMAILS:
        assert email.split("@")[0] in readme
