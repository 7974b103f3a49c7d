"""Scheduler job reports (issue 22): `scheduler_job_report`, the last run of each job in each process that
runs the jobs, so that server processes without them (PostgreSQL) show the jobs' state.

Revision ID: 0032_scheduler_job_report
Revises: 0028_signatures (the last of the chain: 0028 came after 0031)
Create Date: 2026-12-07
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0032_scheduler_job_report"
down_revision = "0028_signatures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_job_report",
        sa.Column("worker", sqlmodel.AutoString(length=200), primary_key=True),
        sa.Column("job", sqlmodel.AutoString(length=64), primary_key=True),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("processed_total", sa.Integer(), nullable=False),
        sa.Column("last_processed", sa.Integer(), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_duration_seconds", sa.Float(), nullable=True),
        sa.Column("last_error", sqlmodel.AutoString(length=500), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_scheduler_job_report_reported_at", "scheduler_job_report", ["reported_at"])


def downgrade() -> None:
    op.drop_index("ix_scheduler_job_report_reported_at", "scheduler_job_report")
    op.drop_table("scheduler_job_report")
