"""Retention (issue 23): `dossier.personal_data_erased_at`, when the retention job anonymised the applicant's
personal data of a closed dossier whose retention period ended (NULL: not yet).

Revision ID: 0031_retention
Revises: 0030_instance_migration
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_retention"
down_revision = "0030_instance_migration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("personal_data_erased_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_dossier_personal_data_erased_at", ["personal_data_erased_at"])


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.drop_index("ix_dossier_personal_data_erased_at")
        batch.drop_column("personal_data_erased_at")
