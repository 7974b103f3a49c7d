"""Online submissions pushed by DVCQG: the dossier remembers it came from DVCQG, the applicant's VNeID flag
and DVCQG TechID (issue 19 part 2).

Revision ID: 0025_dvcqg_online
Revises: 0023_zalo_articles
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_dvcqg_online"
down_revision = "0023_zalo_articles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("submitted_on_dvcqg", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("vneid_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("applicant_tech_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("dvcqg_push_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("dvcqg_push_sha256")
        batch.drop_column("applicant_tech_id")
        batch.drop_column("vneid_verified")
        batch.drop_column("submitted_on_dvcqg")
