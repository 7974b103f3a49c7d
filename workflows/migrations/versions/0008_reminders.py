"""Reminders: officials' in-app notifications and the once-only record of reminders sent.

Revision ID: 0008_reminders
Revises: 0006_identity
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_reminders"
down_revision = "0006_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "official_notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("official_id", sa.Integer(), sa.ForeignKey("official.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_official_notification_official_id", "official_notification", ["official_id"])
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("subject", "kind", name="uq_reminder_sent_subject_kind"),
    )


def downgrade() -> None:
    op.drop_table("reminder_sent")
    op.drop_index("ix_official_notification_official_id", table_name="official_notification")
    op.drop_table("official_notification")
