"""Documents of a dossier (forms, uploads, results); their bytes are in the file store.

Revision ID: 0005_documents
Revises: 0001_base
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_documents"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossier_document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("form_code", sa.String(16), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("note", sa.String(1000), nullable=True),
    )
    op.create_index("ix_dossier_document_dossier_code", "dossier_document", ["dossier_code"])


def downgrade() -> None:
    op.drop_index("ix_dossier_document_dossier_code", table_name="dossier_document")
    op.drop_table("dossier_document")
