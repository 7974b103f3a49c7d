"""Digital signatures (issue 24): `document_signature`, one row per signature we put on a dossier's document.

Revision ID: 0028_signatures
Revises: 0031_retention (numbered before it, merged after it)
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_signatures"
down_revision = "0031_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_signature",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("dossier_document.id"), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("step", sa.String(128), nullable=False),
        sa.Column("signer_username", sa.String(64), nullable=False),
        sa.Column("signer_name", sa.String(255), nullable=False),
        sa.Column("signer_title", sa.String(255), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
        sa.Column("certificate_serial", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_document_signature_document_id", "document_signature", ["document_id"])
    op.create_index("ix_document_signature_dossier_code", "document_signature", ["dossier_code"])
    op.create_index("ix_dossier_document_sha256", "dossier_document", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_dossier_document_sha256", table_name="dossier_document")
    op.drop_index("ix_document_signature_dossier_code", table_name="document_signature")
    op.drop_index("ix_document_signature_document_id", table_name="document_signature")
    op.drop_table("document_signature")
