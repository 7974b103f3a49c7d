"""Connector tables: zalo_token, zalo_user, zalo_event, outbox_message.

Revision ID: 0004_connectors
Revises: 0001_base
Create Date: 2026-11-24
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_connectors"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def _str(length: int) -> sqlmodel.AutoString:
    return sqlmodel.AutoString(length=length)


def _dt(name: str, *, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "zalo_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        _dt("access_expires_at", nullable=False),
        _dt("refresh_expires_at", nullable=False),
        _dt("updated_at", nullable=False),
    )

    op.create_table(
        "zalo_user",
        sa.Column("user_id", _str(64), primary_key=True),
        sa.Column("followed", sa.Boolean(), nullable=False),
        _dt("last_interaction_at", nullable=True),
        sa.Column("display_name", _str(200), nullable=True),
        sa.Column("phone_hash", _str(128), nullable=True),
        _dt("updated_at", nullable=False),
    )
    op.create_index("ix_zalo_user_phone_hash", "zalo_user", ["phone_hash"])

    op.create_table(
        "zalo_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_key", _str(200), nullable=False),
        sa.Column("event_name", _str(64), nullable=False),
        sa.Column("user_id", _str(64), nullable=True),
        _dt("received_at", nullable=False),
    )
    op.create_index("ux_zalo_event_event_key", "zalo_event", ["event_key"], unique=True)
    op.create_index("ix_zalo_event_received_at", "zalo_event", ["received_at"])

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", _str(200), nullable=False),
        sa.Column("channel", _str(16), nullable=False),
        sa.Column("kind", _str(32), nullable=False),
        sa.Column("subject_ref", _str(100), nullable=False),
        sa.Column("recipient_ref", _str(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", _str(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_done", sa.Integer(), nullable=False),
        _dt("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("channel_used", _str(16), nullable=True),
        sa.Column("provider_message_id", _str(100), nullable=True),
        _dt("created_at", nullable=False),
        _dt("sent_at", nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
    )
    op.create_index("ux_outbox_message_idempotency_key", "outbox_message", ["idempotency_key"], unique=True)
    op.create_index("ix_outbox_message_subject_ref", "outbox_message", ["subject_ref"])
    op.create_index("ix_outbox_message_next_attempt_at", "outbox_message", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox_message")
    op.drop_table("zalo_event")
    op.drop_table("zalo_user")
    op.drop_table("zalo_token")
