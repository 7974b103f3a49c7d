"""Task-list indexes: open work items by assignee or lane, ordered by due time (the benchmark's 1M run).

Revision ID: 0011_task_list_indexes
Revises: 0010_dossiers
Create Date: 2026-11-24
"""

from alembic import op

revision = "0011_task_list_indexes"
down_revision = "0010_dossiers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_item_assignee_state_due", "work_item", ["assignee", "state", "due_at"])
    op.create_index("ix_work_item_lane_state_due", "work_item", ["lane", "state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_work_item_lane_state_due", table_name="work_item")
    op.drop_index("ix_work_item_assignee_state_due", table_name="work_item")
