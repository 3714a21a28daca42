"""Bulk user import from CSV (``email,name,role,manager_email[,password]``).

All rows are validated before anything is written: one bad row refuses the whole file, with line numbers.
Managers may appear after their reports. Rows without a password get a random one, returned for printing once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sales_growth.accounts import passwords, service
from sales_growth.accounts.models import Role, User
from sales_growth.accounts.schemas import UserCreate
from sales_growth.errors import DomainError, InvalidInputError

COLUMNS = ("email", "name", "role", "manager_email")
_MANAGING_ROLES = {Role.MANAGER.value, Role.ADMIN.value}


@dataclass
class Row:
    line: int
    email: str
    name: str
    role: str
    manager_email: str
    password: str


@dataclass(frozen=True)
class Imported:
    email: str
    generated_password: str | None  # shown once, when the file gave none


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP932 (Excel on Japanese Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                "CSVの文字コードを判別できません（UTF-8 か Shift_JIS で保存してください）。"
            ) from exc


def parse(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise InvalidInputError(f"CSVの見出し行に列がありません: {', '.join(missing)}")
    reader.fieldnames = header
    return [
        Row(
            line=reader.line_num,
            email=(record.get("email") or "").strip().lower(),
            name=(record.get("name") or "").strip(),
            role=(record.get("role") or "").strip().lower(),
            manager_email=(record.get("manager_email") or "").strip().lower(),
            password=(record.get("password") or "").strip(),
        )
        for record in reader
    ]


def validate(session: Session, rows: list[Row]) -> list[str]:
    """Every problem in the file, as "N行目: ..." lines; empty when the file can be imported."""
    problems: list[str] = []
    in_file = {row.email: row for row in rows}
    existing = {user.email: user for user in session.scalars(select(User))}
    seen: set[str] = set()
    for row in rows:
        problems += [f"{row.line}行目: {message}" for message in _row_problems(row, in_file, existing, seen)]
        seen.add(row.email)
    problems += [f"{row.line}行目: 上司の設定が循環しています" for row in rows if _in_cycle(row, in_file)]
    return problems


def _row_problems(row: Row, in_file: dict[str, Row], existing: dict[str, User], seen: set[str]) -> list[str]:
    problems: list[str] = []
    try:
        service.normalise_email(row.email)
    except DomainError:
        problems.append(f"メールアドレスの形式が正しくありません（{row.email or '空'}）")
    if row.email in seen:
        problems.append(f"メールアドレスがファイル内で重複しています（{row.email}）")
    elif row.email in existing:
        problems.append(f"既に登録されているメールアドレスです（{row.email}）")
    if not row.name:
        problems.append("名前が空です")
    if row.role not in {role.value for role in Role}:
        problems.append(f"役割は member / manager / admin のいずれかです（{row.role or '空'}）")
    if row.password and len(row.password) < passwords.MIN_LENGTH:
        problems.append(f"パスワードは{passwords.MIN_LENGTH}文字以上にしてください")
    if row.manager_email:
        problems += _manager_problems(row, in_file, existing)
    return problems


def _manager_problems(row: Row, in_file: dict[str, Row], existing: dict[str, User]) -> list[str]:
    if row.manager_email in in_file:
        manager_role = in_file[row.manager_email].role
    elif row.manager_email in existing:
        manager_role = existing[row.manager_email].role
    else:
        return [f"上司が見つかりません（{row.manager_email}）"]
    if manager_role not in _MANAGING_ROLES:
        return [f"上司はマネージャーか管理者である必要があります（{row.manager_email}）"]
    return []


def _in_cycle(row: Row, in_file: dict[str, Row]) -> bool:
    seen = {row.email}
    current = in_file.get(row.manager_email)
    while current is not None:
        if current.email in seen:
            return current.email == row.email
        seen.add(current.email)
        current = in_file.get(current.manager_email)
    return False


def import_rows(session: Session, rows: list[Row], *, actor: User | None = None) -> list[Imported]:
    """Create the users, managers before their reports. Call only after :func:`validate` found nothing.

    ``actor`` is the admin importing from the web page (None: the command line), named in the audit events."""
    created: dict[str, User] = {}
    results: list[Imported] = []
    pending = list(rows)
    while pending:
        ready = [row for row in pending if not row.manager_email or row.manager_email not in _emails(pending)]
        for row in ready:
            results.append(_create(session, row, created, actor))
        pending = [row for row in pending if row not in ready]
    return results


def _emails(rows: list[Row]) -> set[str]:
    return {row.email for row in rows}


def _create(session: Session, row: Row, created: dict[str, User], actor: User | None) -> Imported:
    manager = created.get(row.manager_email) or (
        session.scalar(select(User).where(User.email == row.manager_email)) if row.manager_email else None
    )
    generated = None if row.password else passwords.generate()
    data = UserCreate(
        email=row.email,
        name=row.name,
        role=Role(row.role),
        manager_id=manager.id if manager else None,
        password=row.password or generated or "",
    )
    created[row.email] = service.create_user(session, actor, data)
    return Imported(email=row.email, generated_password=generated)
