"""Users and login. Services flush; the request (or the CLI command) commits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from sales_growth.accounts import passwords, policy, tokens
from sales_growth.accounts.events import record_event
from sales_growth.accounts.models import Role, TokenKind, User
from sales_growth.accounts.schemas import UserCreate, UserUpdate
from sales_growth.errors import AuthenticationError, ConflictError, InvalidInputError, LockedError, NotFoundError
from sales_growth.ops.cache import TEAM_VERSION, invalidate_after_commit
from sales_growth.settings import Settings

GENERIC_LOGIN_FAILURE = "メールアドレスまたはパスワードが正しくありません。"
LOCKED_MESSAGE = (
    "ログインに連続して失敗したため、アカウントを一時的にロックしています。"
    "{minutes}分ほど待ってから再度お試しください。"
)
DEACTIVATED_MESSAGE = "このアカウントは無効になっています。管理者にお問い合わせください。"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise InvalidInputError(f"メールアドレスの形式が正しくありません: {email}")
    return value


# --- login -----------------------------------------------------------------------------------------------------


def authenticate(session: Session, email: str, password: str, *, settings: Settings, now: datetime) -> User:
    """The user for these credentials, applying the lockout. Flushes counter changes even when it raises:
    the caller must commit before re-raising so that failures count."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        passwords.verify(password, None)  # same cost as a real check: no enumeration by timing
        record_event("login_failed", session=session, reason="unknown_email")
        raise AuthenticationError(GENERIC_LOGIN_FAILURE)
    if user.locked_until is not None and now < user.locked_until:
        record_event("login_failed", session=session, target_id=user.id, reason="locked")
        raise LockedError(LOCKED_MESSAGE.format(minutes=settings.lockout_minutes))
    if not passwords.verify(password, user.password_hash):
        _count_failure(session, user, settings=settings, now=now)
        raise AuthenticationError(GENERIC_LOGIN_FAILURE)
    if not user.is_active:
        record_event("login_failed", session=session, target_id=user.id, reason="deactivated")
        raise AuthenticationError(DEACTIVATED_MESSAGE)
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    tokens.forget_user(session, user.id)
    record_event("login_succeeded", session=session, actor_id=user.id, target_id=user.id)
    return user


def _count_failure(session: Session, user: User, *, settings: Settings, now: datetime) -> None:
    # Incremented in SQL: parallel wrong guesses must not overwrite each other's count.
    session.execute(
        update(User).where(User.id == user.id).values(failed_login_count=User.failed_login_count + 1),
        execution_options={"synchronize_session": False},
    )
    session.refresh(user, ["failed_login_count"])
    record_event(
        "login_failed", session=session, target_id=user.id, reason="wrong_password", count=user.failed_login_count
    )
    if user.failed_login_count >= settings.lockout_threshold:
        user.failed_login_count = 0
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        record_event("account_locked", session=session, target_id=user.id, until=user.locked_until)
        tokens.forget_user(session, user.id)
    session.flush()


def login(
    session: Session, email: str, password: str, kind: TokenKind, *, settings: Settings, now: datetime
) -> tokens.IssuedToken:
    user = authenticate(session, email, password, settings=settings, now=now)
    return tokens.issue(session, user, kind, settings=settings, now=now)


def logout(session: Session, value: str, *, now: datetime) -> None:
    user_id = tokens.revoke(session, value, now=now)
    if user_id is not None:
        record_event("logout", session=session, actor_id=user_id, target_id=user_id)


# --- users -----------------------------------------------------------------------------------------------------


def list_users(
    session: Session, actor: User, *, role: Role | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[User], int]:
    query = select(User).where(User.id.in_(policy.visible_user_ids(actor)))
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return list(items), total


def names_of(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Users' names in one query (the caller has checked that the actor may see them)."""
    ids = list(set(user_ids))
    return dict(session.execute(_names(), {"user_ids": ids}).all()) if ids else {}


@cache
def _names() -> Select[int, str]:
    return select(User.id, User.name).where(User.id.in_(bindparam("user_ids", expanding=True)))


def get_user(session: Session, actor: User, user_id: int) -> User:
    """The user, or 404 when missing or invisible to ``actor`` (the two look the same on purpose)."""
    user = session.get(User, user_id)
    if user is None or not policy.can_see_user(session, actor, user_id):
        raise NotFoundError("ユーザーが見つかりません。")
    return user


def create_user(session: Session, actor: User | None, data: UserCreate, *, password_hash: str | None = None) -> User:
    """Create a user. ``actor`` None means the command line (an operator with shell access).

    ``password_hash`` is ``data.password`` already hashed, for many accounts given one password at once (the
    sample organisation): argon2 is slow on purpose, once per account would take seconds.
    """
    if actor is not None:
        policy.require_admin(actor)
    email = normalise_email(data.email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(f"このメールアドレスは既に登録されています: {email}")
    if password_hash is None:
        password_hash = passwords.hash_password(data.password)
    else:
        passwords.check_policy(data.password)
    user = User(email=email, name=data.name.strip(), role=data.role, password_hash=password_hash)
    user.is_active = True
    user.failed_login_count = 0
    session.add(user)
    session.flush()
    if data.manager_id is not None:
        _set_manager(session, user, data.manager_id)
    session.flush()
    invalidate_after_commit(session, bump=[TEAM_VERSION])  # a new member on someone's team
    record_event(
        "user_created", session=session, actor_id=actor.id if actor else None, target_id=user.id, role=user.role
    )
    return user


def update_user(session: Session, actor: User, user_id: int, changes: UserUpdate, *, now: datetime) -> User:
    user = get_user(session, actor, user_id)
    policy.require_admin(actor)
    fields = changes.model_fields_set
    if changes.name is not None:
        user.name = changes.name.strip()
    if changes.role is not None and changes.role != user.role:
        _set_role(session, actor, user, changes.role)
    if "manager_id" in fields and changes.manager_id != user.manager_id:
        before = user.manager_id
        _set_manager(session, user, changes.manager_id)
        record_event(
            "manager_changed", session=session, actor_id=actor.id, target_id=user.id, old=before, new=user.manager_id
        )
    if changes.password is not None:
        user.password_hash = passwords.hash_password(changes.password)
        tokens.revoke_all_for(session, user.id, now=now)
        record_event("password_changed", session=session, actor_id=actor.id, target_id=user.id)
    if changes.unlock:
        user.failed_login_count = 0
        user.locked_until = None
        record_event("account_unlocked", session=session, actor_id=actor.id, target_id=user.id)
    if changes.is_active is not None and changes.is_active != user.is_active:
        set_active(session, actor, user, active=changes.is_active, now=now)
    session.flush()
    tokens.forget_user(session, user.id)  # role, reporting line, password, lock: every cached session re-reads it
    record_event("user_updated", session=session, actor_id=actor.id, target_id=user.id, fields=sorted(fields))
    return user


def _set_role(session: Session, actor: User, user: User, role: Role) -> None:
    if role == Role.MEMBER and session.scalar(select(User.id).where(User.manager_id == user.id).limit(1)):
        raise InvalidInputError("部下がいるユーザーをメンバーにはできません。先に部下の上司を変更してください。")
    record_event("role_changed", session=session, actor_id=actor.id, target_id=user.id, old=user.role, new=role)
    user.role = role


def set_active(
    session: Session, actor: User | None, user: User, *, active: bool, now: datetime, reason: str | None = None
) -> None:
    """Activate or deactivate ``user`` (``actor`` None: the command line). Deactivation ends every token at once."""
    user.is_active = active
    actor_id = actor.id if actor else None
    if active:
        record_event("user_reactivated", session=session, actor_id=actor_id, target_id=user.id, reason=reason)
        return
    # Existing tokens and sessions must stop working at once, not at their expiry.
    tokens.revoke_all_for(session, user.id, now=now)
    record_event("user_deactivated", session=session, actor_id=actor_id, target_id=user.id, reason=reason)


def _set_manager(session: Session, user: User, manager_id: int | None) -> None:
    """Point ``user`` at a new manager, refusing unknown managers, non-managers and reporting cycles."""
    if manager_id is None:
        user.manager_id = None
        return
    manager = session.get(User, manager_id)
    if manager is None:
        raise InvalidInputError("指定された上司が見つかりません。")
    if manager.role not in (Role.MANAGER, Role.ADMIN):
        raise InvalidInputError("上司にはマネージャーか管理者を指定してください。")
    if _would_cycle(session, user.id, manager):
        raise InvalidInputError("上司の設定が循環します（自分の部下を上司にはできません）。")
    user.manager_id = manager.id


def _would_cycle(session: Session, user_id: int, manager: User) -> bool:
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.id not in seen:
        if current.id == user_id:
            return True
        seen.add(current.id)
        current = session.get(User, current.manager_id) if current.manager_id is not None else None
    return False
