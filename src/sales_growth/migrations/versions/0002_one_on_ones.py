"""1on1 records, their uploaded files and their analysis runs

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sales_growth.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "one_on_ones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_one_on_ones_member_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_one_on_ones_created_by_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_on_ones")),
    )
    op.create_index("ix_one_on_ones_member_id_held_on", "one_on_ones", ["member_id", "held_on"])
    op.create_index(op.f("ix_one_on_ones_created_by_id"), "one_on_ones", ["created_by_id"])
    op.create_table(
        "record_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("one_on_one_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["one_on_one_id"],
            ["one_on_ones.id"],
            name=op.f("fk_record_uploads_one_on_one_id_one_on_ones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_uploads")),
        sa.UniqueConstraint("one_on_one_id", name=op.f("uq_record_uploads_one_on_one_id")),
    )

    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("one_on_one_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("prompt_version", sa.String(length=32), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("queued_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("started_at", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["one_on_one_id"],
            ["one_on_ones.id"],
            name=op.f("fk_analyses_one_on_one_id_one_on_ones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyses")),
    )
    op.create_index(op.f("ix_analyses_one_on_one_id"), "analyses", ["one_on_one_id"])
    op.create_index("ix_analyses_status_heartbeat_at", "analyses", ["status", "heartbeat_at"])


def downgrade() -> None:
    op.drop_table("analyses")
    op.drop_table("record_uploads")
    op.drop_index(op.f("ix_one_on_ones_created_by_id"), table_name="one_on_ones")
    op.drop_index("ix_one_on_ones_member_id_held_on", table_name="one_on_ones")
    op.drop_table("one_on_ones")
