"""Request and response shapes of the citizens' endpoints. Nothing here carries an unmasked phone or ID
number; verifiers travel in request bodies only (never in URLs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import VnDateTime

FeedbackCategory = Literal["thu_tuc", "thai_do", "ho_so", "he_thong", "khac"]
FEEDBACK_CATEGORIES: dict[str, str] = {
    "thu_tuc": "Quy định, thủ tục hành chính",
    "ho_so": "Việc giải quyết hồ sơ",
    "thai_do": "Thái độ, tác phong của cán bộ",
    "he_thong": "Hệ thống, dịch vụ công trực tuyến",
    "khac": "Khác",
}
LATENESS_NAMES: dict[str, str] = {
    "trong_han": "Còn hạn",
    "sap_den_han": "Sắp đến hạn",
    "qua_han": "Quá hạn",
    "truoc_han": "Xong trước hạn",
    "dung_han": "Xong đúng hạn",
}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LookupByCodeIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"code": "H60.22-261124-0001", "verifier": "5678"}]},
    )
    code: str = Field(min_length=1, max_length=64, description="Mã hồ sơ")
    verifier: str | None = Field(
        default=None, max_length=12, description="Last 4 digits of the applicant's phone or ID number"
    )


class LookupByIdIn(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id_number": "008190012345", "phone_last4": "5678"}]},
        extra="forbid",
        str_strip_whitespace=True,
    )
    id_number: str = Field(min_length=1, max_length=20, description="CCCD (12 digits) or CMND (9 digits)")
    phone_last4: str | None = Field(default=None, max_length=12, description="Last 4 digits of the phone")


class LookupByNameIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"full_name": "Nguyễn Văn An", "procedure_code": "VHTTDL-KARAOKE", "received_on": "2026-11-24"}
            ]
        },
        extra="forbid",
        str_strip_whitespace=True,
    )
    full_name: str = Field(min_length=1, max_length=255)
    procedure_code: str | None = Field(default=None, max_length=64)
    received_on: date | None = Field(default=None, description="Ngày nộp hồ sơ (local date)")


class TimelineItem(BaseModel):
    """One hand-over of the Phiếu kiểm soát, by units only (officials' names are not public)."""

    step: str
    step_name: str
    unit: str | None
    next_unit: str | None
    at: datetime
    due_at: datetime | None
    on_time: bool | None


class CitizenDocument(BaseModel):
    """A form or result issued for the dossier, as the citizen sees it (downloaded by POST with the verifier)."""

    id: int
    form_code: str | None
    title: str = Field(description="Giấy tiếp nhận hồ sơ và hẹn trả kết quả, Phiếu yêu cầu bổ sung…")
    filename: str
    created_at: VnDateTime


class SatisfactionState(BaseModel):
    """Whether the dossier can be rated now (processing over, not rated yet), and its rating if given."""

    open: bool
    rated: bool
    rated_at: datetime | None = None
    level_name: str | None = None


class LookupResult(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str = Field(description="Masked: Nguyễn V** A*")
    national_status: int
    status_name: str
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    lateness: str | None
    lateness_name: str | None
    timeline: list[TimelineItem]
    documents: list[CitizenDocument] = Field(default_factory=list, description="Giấy tờ đã ban hành của hồ sơ")
    satisfaction: SatisfactionState | None = Field(None, description="Đánh giá mức độ hài lòng (POST /ratings)")


class DossierSummary(BaseModel):
    """A dossier of the person who proved who they are (second factor or linked Zalo account)."""

    code: str
    procedure_name: str
    applicant_name: str
    national_status: int
    status_name: str
    submitted_at: datetime
    due_at: datetime | None
    lateness: str | None
    lateness_name: str | None


class DossierList(BaseModel):
    items: list[DossierSummary]


class NameMatch(BaseModel):
    """A match of a lookup by name: masked name, partly masked code, status only."""

    code_hint: str = Field(description="H60.22-261124-****")
    applicant_name: str
    procedure_name: str
    submitted_on: date
    status_name: str


class NameMatchList(BaseModel):
    items: list[NameMatch]
    truncated: bool = Field(description="More dossiers matched than are shown")


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


class PublicProcedure(BaseModel):
    """A procedure as citizens read it: documents, fees, time limit, where to submit."""

    code: str
    name: str
    field: str
    authority: str
    time_limit: str
    fees: list[str]
    documents: list[str]
    result: str
    where_to_submit: str
