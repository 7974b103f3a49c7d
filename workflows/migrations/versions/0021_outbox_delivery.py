"""Outbox: the tracking id sent with a template message, and when Zalo reported it delivered and seen.

Zalo's delivery events (`user_received_message`, `user_seen_message`; ZALO_API.md §8.6, §9.8) name a
message by our `tracking_id` or by Zalo's message id (`provider_message_id`); administrators and the
dossier's message list show `delivered_at` and `seen_at` (issue 18, "Templates"). Rows written before this
revision have no tracking id: their delivery events are matched by Zalo's message id.

Revision ID: 0021_outbox_delivery
Revises: 0017_outbox_last_attempt
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_outbox_delivery"
down_revision = "0019_zalo_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("tracking_id", sa.String(length=48), nullable=True))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_message_tracking_id", "outbox_message", ["tracking_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_tracking_id", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("seen_at")
        batch.drop_column("delivered_at")
        batch.drop_column("tracking_id")
