"""Hand-over to staff: the Zalo conversation as received, and the message ids of our own sends.

An official answering a citizen in Zalo's OA manager reaches us only as an `oa_send_*` echo; our own sends
are echoed too, and are told apart by the ids Zalo gave them (issue 18, "Hand-over to staff").

Revision ID: 0022_zalo_handover
Revises: 0017_outbox_last_attempt
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_zalo_handover"
down_revision = "0021_outbox_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_sent_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("msg_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_zalo_sent_message_msg_id", "zalo_sent_message", ["msg_id"], unique=True)
    op.create_index("ix_zalo_sent_message_user_id", "zalo_sent_message", ["user_id"])
    op.create_table(
        "zalo_conversation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("event_name", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=100), nullable=True),
        sa.Column("text_enc", sa.Text(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_zalo_conversation_user_id", "zalo_conversation", ["user_id"])
    op.create_index("ix_zalo_conversation_occurred_at", "zalo_conversation", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_zalo_conversation_occurred_at", table_name="zalo_conversation")
    op.drop_index("ix_zalo_conversation_user_id", table_name="zalo_conversation")
    op.drop_table("zalo_conversation")
    op.drop_index("ix_zalo_sent_message_user_id", table_name="zalo_sent_message")
    op.drop_index("ux_zalo_sent_message_msg_id", table_name="zalo_sent_message")
    op.drop_table("zalo_sent_message")
