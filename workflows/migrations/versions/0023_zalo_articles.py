"""News on Zalo: a news item's OA article (the publication job) and its broadcasts.

Issue 18 part 8: an official publishes a news item as a Zalo OA article (a video article through Zalo's
video upload), which Zalo processes asynchronously; the `zalo_articles` job advances each row and records
Zalo's answers; a published article may be broadcast to all followers or to those carrying a tag.

Revision ID: 0023_zalo_articles
Revises: 0017_outbox_last_attempt
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_zalo_articles"
down_revision = "0022_zalo_handover"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_article",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("news_id", sa.Integer(), sa.ForeignKey("news_item.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("cover_url", sa.String(500), nullable=False),
        sa.Column("author", sa.String(50), nullable=False),
        sa.Column("video_key", sa.String(64), nullable=True),
        sa.Column("video_filename", sa.String(255), nullable=True),
        sa.Column("video_token", sa.Text(), nullable=True),
        sa.Column("video_id", sa.String(100), nullable=True),
        sa.Column("article_token", sa.Text(), nullable=True),
        sa.Column("article_id", sa.String(100), nullable=True),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ux_zalo_article_news_id", "zalo_article", ["news_id"], unique=True)
    op.create_index("ix_zalo_article_state", "zalo_article", ["state"])
    op.create_index("ix_zalo_article_article_id", "zalo_article", ["article_id"])
    op.create_index("ix_zalo_article_next_attempt_at", "zalo_article", ["next_attempt_at"])
    op.create_index("ix_zalo_article_published_at", "zalo_article", ["published_at"])
    op.create_table(
        "zalo_broadcast",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_row_id", sa.Integer(), sa.ForeignKey("zalo_article.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("tag", sa.String(100), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_zalo_broadcast_article_row_id", "zalo_broadcast", ["article_row_id"])
    op.create_index("ix_zalo_broadcast_state", "zalo_broadcast", ["state"])
    op.create_index("ix_zalo_broadcast_next_attempt_at", "zalo_broadcast", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("zalo_broadcast")
    op.drop_table("zalo_article")
