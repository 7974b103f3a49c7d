"""Reassignment and delegation of officials' tasks (issue 23 item 1): `task_reassignment` (one row per
reassignment of an open work item) and `delegation` (an official's tasks handed to another for a period).

Revision ID: 0029_delegation
Revises: 0027_agencies
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_delegation"
down_revision = "0027_agencies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_reassignment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("work_item_id", sa.String(36), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("from_assignee", sa.String(64), nullable=True),
        sa.Column("to_assignee", sa.String(64), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_task_reassignment_work_item_id", "task_reassignment", ["work_item_id"])
    op.create_index("ix_task_reassignment_dossier_code", "task_reassignment", ["dossier_code"])
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("delegator", sa.String(64), nullable=False),
        sa.Column("delegate", sa.String(64), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_delegation_delegator", "delegation", ["delegator"])
    op.create_index("ix_delegation_delegate", "delegation", ["delegate"])


def downgrade() -> None:
    op.drop_table("delegation")
    op.drop_table("task_reassignment")
