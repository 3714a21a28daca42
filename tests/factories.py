"""Test data factories. Each commits, so the app under test (its own session) sees the rows."""

from __future__ import annotations

import itertools
import re
from datetime import datetime

from sqlalchemy.orm import Session

from sales_growth.accounts import passwords, tokens
from sales_growth.accounts.models import Role, TokenKind, User
from sales_growth.db import utcnow
from sales_growth.settings import Settings

DEFAULT_PASSWORD = "correct-horse-42"
_sequence = itertools.count(1)


def make_user(
    session: Session,
    *,
    role: Role = Role.MEMBER,
    manager: User | None = None,
    password: str | None = DEFAULT_PASSWORD,
    email: str | None = None,
    name: str | None = None,
    is_active: bool = True,
) -> User:
    number = next(_sequence)
    user = User(
        email=(email or f"user{number}@example.com").lower(),
        name=name or f"ユーザー{number}",
        role=role,
        manager_id=manager.id if manager else None,
        is_active=is_active,
        password_hash=passwords.hash_password(password) if password else None,
        failed_login_count=0,
    )
    session.add(user)
    session.commit()
    return user


def make_token(
    session: Session, user: User, settings: Settings, *, kind: TokenKind = TokenKind.API, now: datetime | None = None
) -> str:
    """A live token for ``user``, committed; faster than logging in over HTTP."""
    issued = tokens.issue(session, user, kind, settings=settings, now=now or utcnow())
    session.commit()
    return issued.value


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def form_csrf_token(html: str) -> str:
    """The ``csrf_token`` hidden field of a page's form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no csrf_token field"
    return match.group(1)
