"""Online payment of fees on the DVCQG payment platform (issue 19 part 4): requests, attempts, every callback
received with its verdict, the e-receipt; `dossier.paid_online`.

Revision ID: 0026_dvcqg_payments
Revises: 0025_dvcqg_online
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_dvcqg_payments"
down_revision = "0025_dvcqg_online"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dossier", sa.Column("paid_online", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "payment_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_code", sa.String(64), nullable=False, index=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_reference", sa.String(64), nullable=True),
        sa.Column("transaction_id", sa.String(64), nullable=True),
        sa.Column("receipt_form", sa.String(32), nullable=True),
        sa.Column("receipt_series", sa.String(32), nullable=True),
        sa.Column("receipt_number", sa.String(32), nullable=True),
        sa.Column("receipt_provider", sa.String(64), nullable=True),
        sa.Column("receipt_document_id", sa.Integer(), nullable=True),
        sa.Column("receipt_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("dossier_code", "round", name="uq_payment_request_round"),
    )
    op.create_table(
        "payment_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("payment_request.id"), nullable=False, index=True),
        sa.Column("reference", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "payment_callback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(64), nullable=False, index=True),
        sa.Column("verdict", sa.String(24), nullable=False, index=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("payment_callback")
    op.drop_table("payment_attempt")
    op.drop_table("payment_request")
    op.drop_column("dossier", "paid_online")
