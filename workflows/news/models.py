"""News and guides shown on the lookup page and in Zalo."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class NewsItem(SQLModel, table=True):
    """A news item or a guide (with an optional video link) managed by administrators."""

    __tablename__ = "news_item"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8, index=True)
    title: str = Field(max_length=255)
    summary: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    body: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    video_url: str | None = Field(default=None, max_length=500)
    published: bool = Field(default=False, index=True)
    published_at: datetime | None = _ts(index=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
