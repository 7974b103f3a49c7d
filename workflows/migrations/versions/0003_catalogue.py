"""Calendar overrides and the versioned procedure catalogue.

Revision ID: 0003_catalogue
Revises: 0001_base
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_catalogue"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("legal_ref", sa.String(500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("day"),
    )
    op.create_table(
        "procedure_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("national_code", sa.String(64), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("level", sa.String(100), nullable=False),
        sa.Column("time_limit_value", sa.Integer(), nullable=False),
        sa.Column("time_limit_unit", sa.String(20), nullable=False),
        sa.Column("fees", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("supplement_policy", sa.String(20), nullable=False),
        sa.Column("has_financial_obligation", sa.Boolean(), nullable=False),
        sa.Column("requires_site_inspection", sa.Boolean(), nullable=False),
        sa.Column("process_key", sa.String(100), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("code", "version", name="uq_procedure_version_code_version"),
    )
    op.create_index("ix_procedure_version_code", "procedure_version", ["code"])


def downgrade() -> None:
    op.drop_index("ix_procedure_version_code", table_name="procedure_version")
    op.drop_table("procedure_version")
    op.drop_table("calendar_day")
