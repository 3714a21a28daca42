"""Operations: the audit log and the shared maintenance state

Revision ID: 0004_ops
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sales_growth.db

revision: str = "0004_ops"
down_revision: str | None = "0003_coaching"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_occurred_at"), "audit_events", ["occurred_at"])
    op.create_index("ix_audit_events_action_occurred_at", "audit_events", ["action", "occurred_at"])
    op.create_index("ix_audit_events_actor_id_occurred_at", "audit_events", ["actor_id", "occurred_at"])
    op.create_index("ix_audit_events_target_id_occurred_at", "audit_events", ["target_id", "occurred_at"])
    op.create_table(
        "maintenance_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("until", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("started_at", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("announcement_start", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("announcement_end", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("announcement_message", sa.Text(), nullable=True),
        sa.Column("updated_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_state")),
    )


def downgrade() -> None:
    op.drop_table("maintenance_state")
    op.drop_index("ix_audit_events_target_id_occurred_at", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_id_occurred_at", table_name="audit_events")
    op.drop_index("ix_audit_events_action_occurred_at", table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_occurred_at"), table_name="audit_events")
    op.drop_table("audit_events")
