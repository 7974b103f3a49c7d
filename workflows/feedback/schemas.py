"""Request and response shapes of feedback cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.schemas import StrictIn as _In

FeedbackCategory = Literal["thu_tuc", "thai_do", "ho_so", "he_thong", "khac"]


FEEDBACK_CATEGORIES: dict[str, str] = {
    "thu_tuc": "Quy định, thủ tục hành chính",
    "ho_so": "Việc giải quyết hồ sơ",
    "thai_do": "Thái độ, tác phong của cán bộ",
    "he_thong": "Hệ thống, dịch vụ công trực tuyến",
    "khac": "Khác",
}


class FeedbackIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "category": "ho_so",
                    "content": "Hồ sơ của tôi đã quá hẹn nhưng chưa nhận được thông báo.",
                    "dossier_code": "H60.22-261124-0001",
                    "contact_name": "Nguyễn Văn An",
                    "contact_phone": "0912345678",
                }
            ]
        },
    )
    category: FeedbackCategory = "khac"
    content: str = Field(min_length=10, max_length=4000)
    dossier_code: str | None = Field(default=None, max_length=64)
    contact_name: str | None = Field(default=None, max_length=255)
    contact_phone: str | None = Field(default=None, max_length=20)


class FeedbackCreated(BaseModel):
    code: str
    due_at: datetime
    message: str


class FeedbackLocation(BaseModel):
    latitude: float
    longitude: float


class FeedbackAttachmentOut(BaseModel):
    """A photo or location the citizen sent in the Zalo chat. `status` `failed`: the photo could not be
    fetched from Zalo (`error` says why); `download_url` only for a stored photo."""

    id: int
    kind: str
    status: str
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    location: FeedbackLocation | None = None
    error: str | None = None
    created_at: datetime
    download_url: str | None = None


class FeedbackOut(BaseModel):
    """A feedback case for officials: the contact phone masked."""

    code: str
    category: str
    category_name: str
    content: str
    dossier_code: str | None
    contact_name: str | None
    contact_phone: str | None
    channel: str
    status: str
    status_name: str
    department_id: int
    assignee: str | None
    answer: str | None
    due_at: datetime
    created_at: datetime
    answered_at: datetime | None
    open_tasks: list[dict[str, str | None]] = Field(default_factory=list)
    attachments: list[FeedbackAttachmentOut] = Field(default_factory=list)
    location: FeedbackLocation | None = None  # the latest location sent in the Zalo chat


class FeedbackList(BaseModel):
    items: list[FeedbackOut]


class FeedbackCompleteIn(BaseModel):
    """The form data of one step of a feedback case (classify, assign, answer)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"data": {"phan_loai": "ho_so"}},
                {"data": {"chuyen_vien": "chuyen_vien"}},
                {"data": {"tra_loi": "Hồ sơ của ông/bà đã được xử lý xong ngày 27/11/2026."}},
            ]
        },
    )
    data: dict[str, Any] = Field(default_factory=dict)
