"""Request and response shapes of the public dossier lookup and of the citizen's documents behind it.
Nothing here carries an unmasked phone or ID number; verifiers travel in request bodies only (never in
URLs)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import VnDateTime
from workflows.core.schemas import StrictIn as _In

LATENESS_NAMES: dict[str, str] = {
    "trong_han": "Còn hạn",
    "sap_den_han": "Sắp đến hạn",
    "qua_han": "Quá hạn",
    "truoc_han": "Xong trước hạn",
    "dung_han": "Xong đúng hạn",
}


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
    payment_url: str | None = Field(None, description="Trang thanh toán trực tuyến phí, lệ phí (khi hồ sơ đang chờ "
                                                      "nộp phí và có yêu cầu thanh toán)")
    payment_amount: int | None = Field(None, description="Số tiền phải nộp (đồng)")


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


class CitizenDocumentsIn(LookupByCodeIn):
    """The dossier code and the same second factor as the lookup."""


class CitizenDocumentList(BaseModel):
    items: list[CitizenDocument]


class ProcessingIn(LookupByCodeIn):
    """The dossier code and the same second factor as the lookup."""


class ProcessingItem(BaseModel):
    at: VnDateTime
    unit: str = Field(description="Đơn vị (Bộ phận Một cửa…, Phòng…), or Hệ thống")
    role: str = Field(description="Vai trò của người xử lý (Chuyên viên thụ lý…); empty for a system")
    kind: str = Field(description="read | reveal | change | send | other")
    kind_name: str
    what: str


class ProcessingAnswer(BaseModel):
    code: str
    controller: str = Field(description="Cơ quan chịu trách nhiệm xử lý dữ liệu (the competent agency)")
    items: list[ProcessingItem]
    note: str


class VerifiedSignature(BaseModel):
    signer_name: str = Field(description="Họ tên người ký, theo chứng thư số")
    signer_title: str = Field(description="Chức vụ người ký, theo chứng thư số")
    organization: str = Field(description="Cơ quan, theo chứng thư số")
    signed_at: VnDateTime | None = Field(description="Thời điểm ký (dấu thời gian khi có)")
    timestamped: bool = Field(description="Có dấu thời gian hợp lệ")
    intact: bool = Field(description="Nội dung được ký không bị thay đổi và chữ ký đúng với chứng thư")
    trusted: bool = Field(description="Chứng thư số do tổ chức được tin cậy cấp")
    covers_whole_file: bool = Field(description="Chữ ký bao toàn bộ tệp (không có phần thêm sau khi ký)")


class VerifyResult(BaseModel):
    issued: bool = Field(description="Tệp trùng khớp (SHA-256) một văn bản cơ quan đã phát hành")
    unchanged: bool = Field(description="Mọi chữ ký số hợp lệ, tin cậy, và chữ ký sau cùng bao toàn bộ tệp")
    signed: bool = Field(description="Tệp có chữ ký số")
    sha256: str
    kind: str | None = Field(description="Loại văn bản, khi do cơ quan phát hành")
    dossier_code: str | None = Field(description="Mã hồ sơ in trên văn bản, khi do cơ quan phát hành")
    issued_at: VnDateTime | None
    signer_name: str | None
    signer_title: str | None
    signed_at: VnDateTime | None
    signatures: list[VerifiedSignature]
    message: str
