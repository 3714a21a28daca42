"""The permission policy: the ONLY place that decides who may read or write whose data.

member: themself only. manager: their whole reporting subtree, themself included. admin: everyone.
Queries elsewhere filter with :func:`visible_user_ids` so the rule is enforced in SQL, not in templates.

The pages' statements are built once per role and run with the actor's id as a bound parameter (building a SELECT
costs SQLAlchemy more than SQLite takes to run it): they filter with :func:`scoped` and run with :func:`bound`.
A statement built so and run without :func:`bound` fails (a bound parameter without a value); it never widens.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, event, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from sales_growth.accounts.models import Role, User
from sales_growth.errors import PermissionDeniedError

ACTOR_ID = "actor_id"  # the bound parameter of the statements built with :func:`scoped`


def visible_user_ids(actor: User) -> Select[int]:  # SQLAlchemy 2.1 spelling of Select[tuple[int]]
    """A SELECT of the ids of every user ``actor`` may see; use it as ``Model.user_id.in_(...)``."""
    return _visible_ids(actor.role, actor.id)


def _visible_ids(role: Role, actor_id: int | ColumnElement[int]) -> Select[int]:
    if role == Role.ADMIN:
        return select(User.id)
    if role == Role.MANAGER:
        return select(_subtree_ids(actor_id))
    return select(User.id).where(User.id == actor_id)


def visible_to(actor: User, user_column: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of users ``actor`` may see. For an admin it keeps everything without a
    subquery, so that the planner can read a list of everyone's rows in index order instead of sorting them all."""
    return _visible_to(actor.role, actor.id, user_column)


def scoped(role: Role, user_column: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """:func:`visible_to` for any actor of ``role``, for a statement built once per role: the actor's id is the
    bound parameter ``actor_id``, which :func:`bound` gives when the statement runs."""
    return _visible_to(role, bindparam(ACTOR_ID, type_=Integer), user_column)


def _visible_to(
    role: Role, actor_id: int | ColumnElement[int], user_column: ColumnElement[int] | InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    if role == Role.ADMIN:
        return true()
    return user_column.in_(_visible_ids(role, actor_id))


def bound(actor: User, **values: Any) -> dict[str, Any]:
    """The parameters of a statement filtered with :func:`scoped`: the actor's id, and ``values``."""
    return {ACTOR_ID: actor.id, **values}


def _subtree_ids(root_id: int | ColumnElement[int]) -> ColumnElement[Any]:
    # UNION (not UNION ALL) so that even a cycle slipped in by hand terminates.
    tree = select(User.id.label("id")).where(User.id == root_id).cte("subtree", recursive=True)
    tree = tree.union(select(User.id).where(User.manager_id == tree.c.id))
    return tree.c.id


def can_see_user(session: Session, actor: User, user_id: int) -> bool:
    if actor.id == user_id or actor.role == Role.ADMIN:
        return session.get(User, user_id) is not None
    return actor.role == Role.MANAGER and user_id in subtree_of(session, actor)


_SUBTREES = "policy_subtrees"  # session.info: per manager's id, the ids of their subtree


def subtree_of(session: Session, manager: User) -> frozenset[int]:
    """The ids of everyone in ``manager``'s subtree, themself included: one query per session and manager, held in
    the session until it writes a user or its transaction ends (a page asks several times whom its viewer sees)."""
    held: dict[int, frozenset[int]] = session.info.setdefault(_SUBTREES, {})
    if manager.id not in held:
        held[manager.id] = frozenset(session.scalars(_subtree(), {ACTOR_ID: manager.id}))
    return held[manager.id]


@cache
def _subtree() -> Select[int]:
    return select(_subtree_ids(bindparam(ACTOR_ID, type_=Integer)))


@event.listens_for(Session, "after_flush")
def _forget_subtrees_on_user_writes(session: Session, _context: object) -> None:
    written = (*session.new, *session.dirty, *session.deleted)
    if _SUBTREES in session.info and any(isinstance(row, User) for row in written):
        del session.info[_SUBTREES]


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_subtrees(session: Session) -> None:
    session.info.pop(_SUBTREES, None)


def can_record_for(session: Session, actor: User, member_id: int) -> bool:
    """Member: for themself. Manager: for anyone below them in the subtree (not themself: their own
    1on1s are recorded by their own manager). Admin: for anyone."""
    if actor.role == Role.MEMBER:
        return actor.id == member_id
    if actor.role == Role.MANAGER and actor.id == member_id:
        return False
    return can_see_user(session, actor, member_id)


def can_administer(actor: User) -> bool:
    return actor.role == Role.ADMIN and actor.is_active


def require_admin(actor: User) -> None:
    """Refuse non-admins with 403; the error handler writes the ``permission_denied`` audit event."""
    if not can_administer(actor):
        raise PermissionDeniedError


# Coaching: the dialogue is the member's own (psychological safety); the plan it produces is shared.


def can_read_dialogue(actor: User, member_id: int) -> bool:
    """A dialogue's text: the member only. Managers and admins never read it."""
    return actor.id == member_id


def can_see_dialogue_exists(actor: User, member_id: int) -> bool:
    """That a dialogue exists, and its status: the member and admins. Managers get 404, as if there were none."""
    return actor.id == member_id or can_administer(actor)


def can_change_plan(actor: User, member_id: int) -> bool:
    """A plan's items (edits, progress, agreement): the member only, even above them no one changes them."""
    return actor.id == member_id


def can_comment_on_plan(session: Session, actor: User, member_id: int) -> bool:
    """Comments on a member's items: their managers (the whole line above them) and admins, not the member."""
    if actor.id == member_id or actor.role == Role.MEMBER:
        return False
    return can_see_user(session, actor, member_id)


def can_see_team(actor: User) -> bool:
    """A team picture: managers (their subtree) and admins (everyone)."""
    return actor.role in {Role.MANAGER, Role.ADMIN}


# Feedback: anyone who may see an analysis or a plan may rate it; only the 1on1's people correct its findings.


def can_correct_findings(session: Session, actor: User, member_id: int) -> bool:
    """Marking findings wrong or adding missed ones: the member and the managers above them (the people of the
    1on1). Admins see every analysis but were not there, so their word is not a correction."""
    if actor.id == member_id:
        return True
    return actor.role == Role.MANAGER and can_see_user(session, actor, member_id)
