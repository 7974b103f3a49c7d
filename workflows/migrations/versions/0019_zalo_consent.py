"""Zalo consent and what citizens send (issue 18, parts 9 and 6).

`zalo_user` records the unfollow (`unfollowed_at`, cleared by a later follow) and the citizen's own choice
about notifications typed in the chat (`notifications_stopped_at` / `notifications_resumed_at`), both read
by the relay at send time. `feedback_attachment` holds the photos (file store, encrypted) and locations
(encrypted) a citizen sends in the chat for a feedback case.

Revision ID: 0019_zalo_consent
Revises: 0017_outbox_last_attempt
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_zalo_consent"
down_revision = "0018_zalo_connection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zalo_user") as batch:
        batch.add_column(sa.Column("unfollowed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notifications_stopped_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notifications_resumed_at", sa.DateTime(timezone=True), nullable=True))
    # No back-fill: `followed = false` also marks accounts that wrote without a recorded follow, who may
    # still receive customer-service messages; only unfollows received from now on are recorded.
    op.create_table(
        "feedback_attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("feedback_case.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("storage_key", sa.String(64), nullable=True),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("content_type", sa.String(100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("location_enc", sa.Text(), nullable=True),
        sa.Column("source_msg_id", sa.String(64), nullable=True),
        sa.Column("error", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_attachment_case_id", "feedback_attachment", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_attachment_case_id", table_name="feedback_attachment")
    op.drop_table("feedback_attachment")
    with op.batch_alter_table("zalo_user") as batch:
        batch.drop_column("notifications_resumed_at")
        batch.drop_column("notifications_stopped_at")
        batch.drop_column("unfollowed_at")
