"""Citizens' satisfaction ratings of finished dossiers, one per dossier (QĐ 766 satisfaction indicator).

Revision ID: 0012_rating_satisfaction
Revises: 0011_task_list_indexes
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_rating_satisfaction"
down_revision = "0012_roles_zalo_event_phone"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_rating",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dossier_id"),
    )
    op.create_index("ix_satisfaction_rating_rated_at", "satisfaction_rating", ["rated_at"])


def downgrade() -> None:
    op.drop_index("ix_satisfaction_rating_rated_at", table_name="satisfaction_rating")
    op.drop_table("satisfaction_rating")
