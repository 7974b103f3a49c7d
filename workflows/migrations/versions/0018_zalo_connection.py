"""Zalo OA connection: its state (granted, not_granted, refresh_failed) and the pending grants.

Issue 18 part 1 ("The OA grant"): an administrator grants the app through Zalo's permission page (PKCE and
`state`), a refused refresh puts the connection in `refresh_failed` until the next grant. A database that
already holds a token pair starts `granted`.

Revision ID: 0018_zalo_connection
Revises: 0017_outbox_last_attempt
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_zalo_connection"
down_revision = "0017_outbox_last_attempt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_connection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_refresh_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_refresh_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "zalo_grant_request",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("INSERT INTO zalo_connection (id, state, access_expires_at, granted_at, refresh_failures, "
               "updated_at) SELECT id, 'granted', access_expires_at, updated_at, 0, updated_at FROM zalo_token")


def downgrade() -> None:
    op.drop_table("zalo_grant_request")
    op.drop_table("zalo_connection")
