"""Coaching dialogues, their messages, action plans, their items and the managers' comments

Revision ID: 0003_coaching
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sales_growth.db

revision: str = "0003_coaching"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dialogues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("one_on_one_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("dialogue_date", sa.Date(), nullable=False),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column("safety_level", sa.String(length=16), nullable=True),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("completed_at", sales_growth.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["analyses.id"], name=op.f("fk_dialogues_analysis_id_analyses"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_dialogues_member_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["one_on_one_id"],
            ["one_on_ones.id"],
            name=op.f("fk_dialogues_one_on_one_id_one_on_ones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogues")),
        sa.UniqueConstraint("one_on_one_id", name=op.f("uq_dialogues_one_on_one_id")),
    )
    op.create_index(op.f("ix_dialogues_analysis_id"), "dialogues", ["analysis_id"])
    op.create_index(op.f("ix_dialogues_member_id"), "dialogues", ["member_id"])

    op.create_table(
        "action_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("one_on_one_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("agreed_at", sales_growth.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dialogue_id"], ["dialogues.id"], name=op.f("fk_action_plans_dialogue_id_dialogues"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_action_plans_member_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["one_on_one_id"],
            ["one_on_ones.id"],
            name=op.f("fk_action_plans_one_on_one_id_one_on_ones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plans")),
        sa.UniqueConstraint("one_on_one_id", name=op.f("uq_action_plans_one_on_one_id")),
    )
    op.create_index(op.f("ix_action_plans_dialogue_id"), "action_plans", ["dialogue_id"])
    op.create_index(op.f("ix_action_plans_member_id"), "action_plans", ["member_id"])

    op.create_table(
        "dialogue_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=True),
        sa.Column("fallback_reason", sa.Text(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogues.id"],
            name=op.f("fk_dialogue_messages_dialogue_id_dialogues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_messages")),
    )
    op.create_index(op.f("ix_dialogue_messages_dialogue_id"), "dialogue_messages", ["dialogue_id"])

    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("skill", sa.String(length=32), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("success_metric", sa.Text(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("who", sa.JSON(), nullable=False),
        sa.Column("how_many", sa.String(length=50), nullable=True),
        sa.Column("completed_at", sales_growth.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["action_plans.id"], name=op.f("fk_action_items_plan_id_action_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    op.create_index("ix_action_items_plan_id_position", "action_items", ["plan_id", "position"])

    op.create_table(
        "action_item_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_action_item_comments_author_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["action_items.id"],
            name=op.f("fk_action_item_comments_item_id_action_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_item_comments")),
    )
    op.create_index(op.f("ix_action_item_comments_author_id"), "action_item_comments", ["author_id"])
    op.create_index(op.f("ix_action_item_comments_item_id"), "action_item_comments", ["item_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_action_item_comments_item_id"), table_name="action_item_comments")
    op.drop_index(op.f("ix_action_item_comments_author_id"), table_name="action_item_comments")
    op.drop_table("action_item_comments")
    op.drop_index("ix_action_items_plan_id_position", table_name="action_items")
    op.drop_table("action_items")
    op.drop_index(op.f("ix_dialogue_messages_dialogue_id"), table_name="dialogue_messages")
    op.drop_table("dialogue_messages")
    op.drop_index(op.f("ix_action_plans_member_id"), table_name="action_plans")
    op.drop_index(op.f("ix_action_plans_dialogue_id"), table_name="action_plans")
    op.drop_table("action_plans")
    op.drop_index(op.f("ix_dialogues_member_id"), table_name="dialogues")
    op.drop_index(op.f("ix_dialogues_analysis_id"), table_name="dialogues")
    op.drop_table("dialogues")
