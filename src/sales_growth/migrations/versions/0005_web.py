"""Feedback: ratings of analyses and plans, corrections of findings

Revision ID: 0005_web
Revises: 0004_ops
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sales_growth.db

revision: str = "0005_web"
down_revision: str | None = "0004_ops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finding_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("finding_index", sa.Integer(), nullable=True),
        sa.Column("skill", sa.String(length=32), nullable=False),
        sa.Column("polarity", sa.String(length=16), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("fk_finding_corrections_analysis_id_analyses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_finding_corrections_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_finding_corrections_member_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_corrections")),
    )
    op.create_index("ix_finding_corrections_analysis_id_kind", "finding_corrections", ["analysis_id", "kind"])
    op.create_index(op.f("ix_finding_corrections_author_id"), "finding_corrections", ["author_id"])
    op.create_index(op.f("ix_finding_corrections_created_at"), "finding_corrections", ["created_at"])
    op.create_index(op.f("ix_finding_corrections_member_id"), "finding_corrections", ["member_id"])
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sales_growth.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["analyses.id"], name=op.f("fk_ratings_analysis_id_analyses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_ratings_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_ratings_member_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["action_plans.id"], name=op.f("fk_ratings_plan_id_action_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("analysis_id", "author_id", name=op.f("uq_ratings_analysis_id_author_id")),
        sa.UniqueConstraint("plan_id", "author_id", name=op.f("uq_ratings_plan_id_author_id")),
    )
    op.create_index(op.f("ix_ratings_author_id"), "ratings", ["author_id"])
    op.create_index(op.f("ix_ratings_member_id"), "ratings", ["member_id"])
    op.create_index("ix_ratings_updated_at", "ratings", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_ratings_updated_at", table_name="ratings")
    op.drop_index(op.f("ix_ratings_member_id"), table_name="ratings")
    op.drop_index(op.f("ix_ratings_author_id"), table_name="ratings")
    op.drop_table("ratings")
    op.drop_index(op.f("ix_finding_corrections_member_id"), table_name="finding_corrections")
    op.drop_index(op.f("ix_finding_corrections_created_at"), table_name="finding_corrections")
    op.drop_index(op.f("ix_finding_corrections_author_id"), table_name="finding_corrections")
    op.drop_index("ix_finding_corrections_analysis_id_kind", table_name="finding_corrections")
    op.drop_table("finding_corrections")
