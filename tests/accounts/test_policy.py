"""The policy functions other domains build on."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from sales_growth.accounts import policy
from sales_growth.accounts.models import Role, User
from sales_growth.errors import PermissionDeniedError
from tests.personas import PERSONA_TREE, Personas

# Who may record a 1on1 for whom: members for themselves, managers for their reports, admins for anyone.
RECORDERS = {
    "admin": set(PERSONA_TREE),
    "M0": {"M1", "A1", "A2"},
    "M1": {"A1", "A2"},
    "M2": {"B1"},
    "A1": {"A1"},
    "A2": {"A2"},
    "B1": {"B1"},
}


@pytest.mark.parametrize("actor", list(PERSONA_TREE))
def test_record_permission_follows_the_reporting_lines(db_session: Session, personas: Personas, actor: str) -> None:
    allowed = {
        target
        for target in PERSONA_TREE
        if policy.can_record_for(db_session, personas.users[actor], personas.id(target))
    }
    assert allowed == RECORDERS[actor]


def test_only_admins_administer(personas: Personas) -> None:
    policy.require_admin(personas.users["admin"])
    with pytest.raises(PermissionDeniedError):
        policy.require_admin(personas.users["M0"])


@pytest.mark.parametrize("actor", list(PERSONA_TREE))
def test_a_statement_built_once_per_role_sees_what_its_actor_sees(
    db_session: Session, personas: Personas, actor: str
) -> None:
    user = personas.users[actor]
    built_once = select(User.id).where(policy.scoped(user.role, User.id))
    assert set(db_session.scalars(built_once, policy.bound(user))) == set(
        db_session.scalars(policy.visible_user_ids(user))
    )


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MANAGER])
def test_a_statement_built_once_per_role_does_not_run_without_its_actor(db_session: Session, role: Role) -> None:
    with pytest.raises(StatementError, match="actor_id"):
        db_session.scalars(select(User.id).where(policy.scoped(role, User.id))).all()


def test_whom_a_manager_sees_is_read_once_per_session_until_a_user_changes(
    db_session: Session, personas: Personas
) -> None:
    """A page asks several times whom its viewer sees: one query answers them all, until the session writes a
    user (a reporting line may have moved) or its transaction ends."""
    manager, moved, engine = personas.users["M1"], personas.users["B1"], db_session.get_bind()
    ids = {who: personas.id(who) for who in PERSONA_TREE}
    assert (manager.role, moved.manager_id) == (Role.MANAGER, personas.id("M2"))  # loaded before counting
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        seen = {who for who in PERSONA_TREE if policy.can_see_user(db_session, manager, ids[who])}
        assert seen == {"M1", "A1", "A2"}
        assert len(statements) == 1
        moved.manager_id = manager.id
        db_session.flush()
        assert policy.can_see_user(db_session, manager, moved.id)
        db_session.rollback()
        statements.clear()
        assert not policy.can_see_user(db_session, manager, ids["B1"])  # the move was rolled back
        assert sum("subtree" in statement for statement in statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)
