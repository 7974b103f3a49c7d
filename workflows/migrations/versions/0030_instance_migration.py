"""Migrations of running instances (issue 23): the batch an administrator applied
(`instance_migration`) and what became of each instance (`instance_migration_item`).

Revision ID: 0030_instance_migration
Revises: 0029_delegation
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_instance_migration"
down_revision = "0029_delegation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_migration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_key", sa.String(200), nullable=False, index=True),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("actor_label", sa.String(300), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )
    op.create_table(
        "instance_migration_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("migration_id", sa.Integer(), sa.ForeignKey("instance_migration.id"), nullable=False,
                  index=True),
        sa.Column("instance_id", sa.Integer(), nullable=False, index=True),
        sa.Column("business_key", sa.String(200), nullable=False, index=True),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("dropped", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("instance_migration_item")
    op.drop_table("instance_migration")
