"""Zalo phone proofs (one-time codes); links made without proof are dropped.

A phone shared through `user_submit_info` was trusted as proof, and a Zalo lookup by code + 4 digits
linked the account to the dossier. Neither proved anything, so the links and the shared phones recorded
that way are removed: those citizens are reached by template by phone (which Zalo delivers to the account
that owns the number) until they prove their phone with the one-time code.

Revision ID: 0012_secfactor_phone_proof
Revises: 0011_task_list_indexes
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_secfactor_phone_proof"
down_revision = "0012_forms_signers_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_phone_proof",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proven_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_zalo_phone_proof_user_id", "zalo_phone_proof", ["user_id"])
    op.execute("UPDATE zalo_user SET phone_hash = NULL")
    op.execute("UPDATE dossier SET zalo_user_id = NULL")


def downgrade() -> None:
    op.drop_index("ix_zalo_phone_proof_user_id", table_name="zalo_phone_proof")
    op.drop_table("zalo_phone_proof")
