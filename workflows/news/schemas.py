"""Request and response shapes of news and guides."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.schemas import StrictIn as _In


class NewsIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "guide",
                    "title": "Hướng dẫn nộp hồ sơ cấp phép karaoke",
                    "summary": "Các giấy tờ cần chuẩn bị",
                    "published": True,
                }
            ]
        },
        extra="forbid",
        str_strip_whitespace=True,
    )
    kind: Literal["news", "guide"] = "news"
    title: str = Field(min_length=3, max_length=255)
    summary: str = Field(default="", max_length=1000)
    body: str = Field(default="", max_length=20000)
    video_url: str | None = Field(default=None, max_length=500, pattern=r"^https://\S+$")
    published: bool = False


class NewsOut(BaseModel):
    id: int
    kind: str
    title: str
    summary: str
    body: str
    video_url: str | None
    published: bool
    published_at: datetime | None


class NewsList(BaseModel):
    items: list[NewsOut]
