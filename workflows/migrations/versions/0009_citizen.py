"""Citizens' self-service: rate-limit counters of public lookups, feedback cases, news and guides.

Revision ID: 0009_citizen
Revises: 0006_identity
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_citizen"
down_revision = "0006_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hit",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start"),
    )
    op.create_table(
        "feedback_case",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=True),
        sa.Column("contact_name", sa.String(255), nullable=True),
        sa.Column("contact_phone_enc", sa.Text(), nullable=True),
        sa.Column("contact_phone_hash", sa.String(64), nullable=True),
        sa.Column("zalo_user_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(255), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_feedback_case_code", "feedback_case", ["code"], unique=True)
    for column in ("dossier_code", "contact_phone_hash", "zalo_user_id", "status", "department_id", "due_at"):
        op.create_index(f"ix_feedback_case_{column}", "feedback_case", [column])
    op.create_table(
        "news_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("video_url", sa.String(500), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("kind", "published", "published_at"):
        op.create_index(f"ix_news_item_{column}", "news_item", [column])


def downgrade() -> None:
    op.drop_table("news_item")
    op.drop_table("feedback_case")
    op.drop_table("rate_limit_hit")
