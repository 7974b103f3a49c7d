"""Outbox: when the relay last tried a message, and an index on its status.

Administrators list failed messages by state with their last attempt (issue 18, "Failed messages"), and
the metrics count the rows of each state at every scrape; both read `status`.

Revision ID: 0017_outbox_last_attempt
Revises: 0012_secfactor_phone_proof
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_outbox_last_attempt"
down_revision = "0012_secfactor_phone_proof"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_message_status", "outbox_message", ["status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_status", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("last_attempt_at")
