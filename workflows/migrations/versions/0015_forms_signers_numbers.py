"""Forms: officials' titles (chức danh) and the unit they sign for, departments' contact phone, the
return channel registered at intake, the number register of issued forms and the number each form got.

Revision ID: 0012_forms_signers_numbers
Revises: 0011_task_list_indexes
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_forms_signers_numbers"
down_revision = "0012_edge_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("official", sa.Column("title", sa.String(255), nullable=True))
    op.add_column("official", sa.Column("unit_name", sa.String(255), nullable=True))
    op.add_column("department", sa.Column("phone", sa.String(32), nullable=True))
    op.add_column("dossier", sa.Column("result_delivery", sa.String(16), nullable=True))
    op.add_column("dossier", sa.Column("intake_facts", sa.JSON(), nullable=True))
    op.add_column("procedure_version", sa.Column("intake_fields", sa.JSON(), nullable=True))
    op.add_column("dossier_document", sa.Column("number", sa.String(40), nullable=True))
    op.create_table(
        "form_number_sequence",
        sa.Column("agency_code", sa.String(40), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("form_code", sa.String(16), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("form_number_sequence")
    op.drop_column("dossier_document", "number")
    op.drop_column("procedure_version", "intake_fields")
    op.drop_column("dossier", "intake_facts")
    op.drop_column("dossier", "result_delivery")
    op.drop_column("department", "phone")
    op.drop_column("official", "unit_name")
    op.drop_column("official", "title")
