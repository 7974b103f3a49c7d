"""Request and response shapes of news on Zalo (publication state, broadcasts, the OA's articles)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.schemas import StrictIn as _In

NOT_PUBLISHED = "not_published"
STATE_NAMES = {NOT_PUBLISHED: "Chưa đăng", "waiting": "Chờ đăng", "processing": "Đang xử lý",
               "published": "Đã đăng", "failed": "Lỗi"}
STEP_NAMES = {"upload_video": "Tải video lên Zalo", "verify_video": "Zalo đang chuyển đổi video",
              "create": "Tạo bài viết trên Zalo", "verify_article": "Zalo đang xử lý bài viết", "done": "Hoàn tất"}
BROADCAST_STATE_NAMES = {"waiting": "Chờ gửi", "sent": "Đã gửi", "failed": "Lỗi"}


class ZaloBroadcastIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"tag": "xa_minh_xuan"}, {}]}, extra="forbid",
                              str_strip_whitespace=True)
    tag: str | None = Field(default=None, min_length=1, max_length=100,
                            description="Only the followers carrying this Zalo tag (e.g. a commune); all when absent")


class ZaloBroadcastOut(BaseModel):
    id: int
    tag: str | None
    state: str
    state_name: str
    recipients: int | None = Field(description="Followers of the tag a message was queued for (by tag only)")
    message_id: str | None = Field(description="Zalo's message id of a broadcast to all followers")
    last_error: str | None
    requested_by: str
    requested_at: datetime
    sent_at: datetime | None


class ZaloArticleOut(BaseModel):
    """A news item on Zalo: `state` not_published | waiting | processing | published | failed, with the
    reason of the last failure as Zalo gave it (`last_error`) and when the job tries again."""

    news_id: int
    state: str
    state_name: str
    kind: str | None = None
    step: str | None = Field(default=None, description="upload_video | verify_video | create | verify_article | done")
    step_name: str | None = None
    article_id: str | None = None
    link: str | None = None
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    published_at: datetime | None = None
    broadcasts: list[ZaloBroadcastOut] = []


class OaArticleOut(BaseModel):
    """An article of the OA as Zalo lists it, with the news item it was published from (if ours)."""

    article_id: str
    kind: str
    title: str
    description: str
    link: str | None
    created_at: datetime | None
    news_id: int | None


class OaArticleList(BaseModel):
    """The OA's articles; when Zalo cannot be read (no grant yet, Zalo down) the list is empty and
    `zalo_error` says why, in Vietnamese, with Zalo's code."""

    items: list[OaArticleOut]
    total: dict[str, int] = Field(description="Zalo's count of the OA's articles by kind (normal, video)")
    zalo_error: str | None = None
