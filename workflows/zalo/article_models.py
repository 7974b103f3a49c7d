"""Tables of news on Zalo: a news item published as an OA article (one per item), and its broadcasts.

Both are jobs in the outbox style: a row is written in the official's request, then the `zalo_articles`
scheduler job advances it one Zalo call at a time, recording each outcome before the next call, retrying
with back-off while Zalo processes or fails transiently. `next_attempt_at` is NULL once the row is final.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts

# States an official sees (chưa đăng is the absence of a row).
WAITING, PROCESSING, PUBLISHED, FAILED = "waiting", "processing", "published", "failed"
SENT = "sent"  # a broadcast handed to Zalo (or, by tag, to the outbox)
ACTIVE = (WAITING, PROCESSING)
# Steps of a publication, in order (a normal article skips the two video steps).
UPLOAD_VIDEO, VERIFY_VIDEO, CREATE, VERIFY_ARTICLE, DONE = (
    "upload_video", "verify_video", "create", "verify_article", "done")


class ZaloArticle(SQLModel, table=True):
    """The OA article of a news item: `kind` normal or video; the video file is in the file store
    (`video_key`) until Zalo has it; Zalo's tokens and ids as they come back; the last error as Zalo said it."""

    __tablename__ = "zalo_article"
    __table_args__ = (sa.Index("ux_zalo_article_news_id", "news_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    news_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("news_item.id", ondelete="CASCADE"),
                                             nullable=False))
    kind: str = Field(max_length=8)
    state: str = Field(max_length=16, index=True)
    step: str = Field(max_length=16)
    cover_url: str = Field(max_length=500)
    author: str = Field(max_length=50)
    video_key: str | None = Field(default=None, max_length=64)
    video_filename: str | None = Field(default=None, max_length=255)
    video_token: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    video_id: str | None = Field(default=None, max_length=100)
    article_token: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    article_id: str | None = Field(default=None, max_length=100, index=True)
    link: str | None = Field(default=None, max_length=500)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = _ts(index=True)
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    requested_by: str = Field(max_length=64)
    requested_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    published_at: datetime | None = _ts(index=True)


class ZaloBroadcast(SQLModel, table=True):
    """One broadcast of a published article: to every follower (Zalo's broadcast, `message_id`) or to the
    followers carrying `tag` (one outbox message each; `recipients` counts them)."""

    __tablename__ = "zalo_broadcast"

    id: int | None = Field(default=None, primary_key=True)
    article_row_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("zalo_article.id", ondelete="CASCADE"), nullable=False, index=True))
    tag: str | None = Field(default=None, max_length=100)
    state: str = Field(max_length=16, index=True)
    message_id: str | None = Field(default=None, max_length=100)
    recipients: int | None = Field(default=None)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = _ts(index=True)
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    requested_by: str = Field(max_length=64)
    requested_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts()
