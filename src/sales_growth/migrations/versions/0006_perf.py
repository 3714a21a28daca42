"""Indexes for the pages' filters: a record's latest successful analysis, the status page's finished runs, and an
admin's list of every record newest first

Revision ID: 0006_perf
Revises: 0005_web
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_perf"
down_revision: str | None = "0005_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The composite index starts with one_on_one_id, so it also serves the foreign key the old index served.
    op.create_index("ix_analyses_one_on_one_id_status", "analyses", ["one_on_one_id", "status"])
    op.drop_index("ix_analyses_one_on_one_id", table_name="analyses")
    op.create_index("ix_analyses_status_finished_at", "analyses", ["status", "finished_at"])
    op.create_index("ix_one_on_ones_held_on_id", "one_on_ones", ["held_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_one_on_ones_held_on_id", table_name="one_on_ones")
    op.drop_index("ix_analyses_status_finished_at", table_name="analyses")
    op.create_index("ix_analyses_one_on_one_id", "analyses", ["one_on_one_id"])
    op.drop_index("ix_analyses_one_on_one_id_status", table_name="analyses")
