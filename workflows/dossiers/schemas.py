"""Request and response shapes of the dossier API (docs/API.md keeps the contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import VnDateTime

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["person", "organisation"] = "person"
    full_name: str = Field(min_length=2, max_length=255, examples=["Nguyễn Văn An"])
    id_number: str | None = Field(
        default=None,
        max_length=20,
        examples=["001089012345"],
        description="CCCD (12 digits) or CMND (9 digits); stored encrypted",
    )
    phone: str | None = Field(default=None, max_length=20, examples=["0912345678"])
    email: str | None = Field(default=None, max_length=255, pattern=EMAIL)
    address: str | None = Field(default=None, max_length=500, examples=["Phường Minh Xuân, tỉnh Tuyên Quang"])


class RepresentativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(min_length=2, max_length=255)
    phone: str | None = Field(default=None, max_length=20)
    authorization: str | None = Field(default=None, max_length=255, description="Giấy ủy quyền số …")


class DocumentItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=500)
    count: int = Field(default=1, ge=1, le=100)
    kind: str = Field(default="Bản sao", max_length=50, description="Bản chính / Bản sao / Bản chứng thực")


class DossierCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "procedure_code": "VHTTDL-KARAOKE",
                    "channel": "counter",
                    "notify_zalo": True,
                    "accept": True,
                    "applicant": {
                        "full_name": "Nguyễn Văn An",
                        "id_number": "001089012345",
                        "phone": "0912345678",
                        "address": "Phường Minh Xuân, tỉnh Tuyên Quang",
                    },
                }
            ]
        },
    )
    procedure_code: str = Field(min_length=1, max_length=64)
    channel: Literal["counter", "online", "post"] = "counter"
    applicant: ApplicantIn
    representative: RepresentativeIn | None = None
    documents: list[DocumentItem] = Field(default_factory=list, max_length=50)
    notify_zalo: bool = Field(default=False, description="The applicant agrees to receive Zalo messages")
    department_code: str | None = Field(default=None, description="Required for API keys without a department")
    competent_agency_code: str | None = Field(
        default=None, max_length=40, examples=["H60.72"],
        description="Commune-level procedures: the xã/phường that decides (default: the receiving commune)")
    accept: bool = Field(default=False, description="Counter intake: accept at once (issues Mẫu 01)")
    facts: dict[str, str | int] = Field(
        default_factory=dict, max_length=20, examples=[{"dia_ban": "thanh_pho_thi_xa", "so_phong": 5}],
        description="Facts declared at intake that decide the fee (the procedure's `intake_fields`); Mẫu 01 "
                    "then prints the fee that applies instead of the whole fee table",
    )
    result_delivery: Literal["truc_tiep", "buu_chinh", "truc_tuyen"] = Field(
        default="truc_tiep",
        description="Where the applicant registers to receive the result (Mẫu 01 item 6): at the desk, by "
                    "post (dịch vụ bưu chính công ích) or online",
    )


class StepOut(BaseModel):
    task_id: str
    step: str
    name: str
    role: str | None
    assignee: str | None
    assignee_label: str | None = Field(None, description="The assignee as people read them: full name, title "
                                                         "and unit (never the login alone)")
    due_at: VnDateTime | None


class ApplicantOut(BaseModel):
    kind: str
    full_name: str
    id_number: str | None
    phone: str | None
    email: str | None
    address: str | None


class DossierOut(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str
    department: str
    channel: str
    status: str
    status_name: str
    national_status: int
    national_status_name: str
    submitted_at: VnDateTime
    received_at: VnDateTime
    accepted_at: VnDateTime | None
    due_at: VnDateTime | None
    original_due_at: VnDateTime | None
    lateness: str | None
    finished_at: VnDateTime | None
    returned_at: VnDateTime | None
    supplement_count: int
    counted_late: bool
    notify_zalo: bool
    applicant: ApplicantOut
    current_steps: list[StepOut]
    incident: dict[str, object] | None = None
    submitted_on_dvcqg: bool = Field(default=False, description="Submitted on DVCQG (code = its MaHoSo)")
    vneid_verified: bool = Field(default=False, description="The applicant's DVCQG account used VNeID")
    agency_code: str = Field(default="", description="The competent agency (DonViXuLy) that decides")
    agency_name: str = ""
    received_agency_code: str = Field(default="", description="The agency whose desk received it (code prefix)")
    received_agency_name: str = ""
    current_agency_code: str = Field(default="", description="Where the dossier is now (liên thông)")
    agencies: list[AgencyShareOut] = Field(default_factory=list,
                                           description="Each agency's part and share of the time limit (hours)")
    process_key: str = Field(default="", description="The BPMN process the dossier runs (for its diagram)")
    process_version: int | None = Field(
        default=None, description="The deployed version the instance stays on: GET /api/v1/process-definitions/"
                                  "{process_key}/versions/{process_version}/xml; current_steps[].step are its "
                                  "element ids")


class AgencyShareOut(BaseModel):
    code: str
    name: str
    part: str = Field(description="tiep_nhan_tra_ket_qua | giai_quyet | tiep_nhan_giai_quyet")
    hours: float = Field(description="Working hours of the agency's steps in the internal process")


class HistoryItem(BaseModel):
    step: str
    step_name: str
    actor: str | None
    actor_unit: str | None
    to: str | None
    at: VnDateTime
    due_at: VnDateTime | None
    on_time: bool | None
    note: str | None


class RevealIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "Đối chiếu CCCD khi trả kết quả", "fields": ["id_number", "phone"]}]
        },
        extra="forbid",
    )
    reason: str = Field(min_length=5, max_length=500, description="Lý do xem đầy đủ thông tin cá nhân")
    fields: list[Literal["id_number", "phone", "email", "address"]] = Field(
        default_factory=lambda: ["id_number", "phone"]
    )


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=1000, examples=["Công dân có đơn đề nghị rút hồ sơ"])


class ApologyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "cần xin ý kiến Công an tỉnh về điều kiện an ninh trật tự",
                    "new_due_at": "2026-12-04T17:00:00+07:00",
                }
            ]
        },
        extra="forbid",
    )
    reason: str = Field(min_length=5, max_length=1000)
    new_due_at: VnDateTime = Field(description="The new appointment (ISO 8601 with offset)")


class MessageIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "Mời ông/bà mang bản chính văn bản nghiệm thu PCCC khi nhận kết quả.", "document_id": 1}
            ]
        },
        extra="forbid",
    )
    text: str = Field(min_length=1, max_length=1500)
    document_id: int | None = None


class SearchByIdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(min_length=9, max_length=20, examples=["001089012345"])
    reason: str = Field(min_length=5, max_length=500, description="Mục đích tra cứu (bắt buộc, được ghi nhật ký)")
    page: int = Field(default=1, ge=1, le=100000)
    page_size: int = Field(default=20, ge=1, le=100)


class MessageOut(BaseModel):
    id: int
    status: str
    idempotency_key: str


class MessagePreviewAttachment(BaseModel):
    filename: str
    route: Literal["file", "image", "link"] = Field(description="file: a file message (PDF/DOC/DOCX ≤ 5 MB); "
                                                   "image: a picture (JPG/PNG ≤ 1 MB); link: the lookup page")
    link_text: str | None = Field(None, description="What the citizen reads in place of a file sent as a link")


class MessagePreviewOut(BaseModel):
    """An official's message as the applicant will read it (`POST …/messages/preview`; nothing is sent)."""

    text: str
    attachment: MessagePreviewAttachment | None = None


class MessageSentOut(BaseModel):
    """One Zalo message to the applicant, as the official reads it: what it said and what became of it."""

    id: int
    kind: str  # dossier_event | official_message
    event: str
    text: str
    status: str  # pending | sending | sent | unreachable | dead
    status_name: str
    channel_used: str | None
    created_at: VnDateTime
    sent_at: VnDateTime | None
    delivered_at: VnDateTime | None = Field(None, description="When Zalo reported it reached the citizen's phone")
    seen_at: VnDateTime | None = Field(None, description="When Zalo reported the citizen read it")
    problems: list[str] = Field(description="What did not reach the citizen, and why (Vietnamese)")


class DocumentOut(BaseModel):
    id: int
    kind: str
    form_code: str | None
    number: str | None = Field(default=None, description="Số of an issued form (15/TNHS), from the register")
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: VnDateTime
    created_by: str
    note: str | None = None


class AuditEntryOut(BaseModel):
    """One entry of the audit trail (`audit_trail.search`): the action and its kind, who (full name and
    title), the dossier; reason and data masked."""

    id: int
    at: VnDateTime
    action: str
    action_name: str
    kind: str
    kind_name: str
    by: str
    dossier_code: str | None
    reason: str | None
    data: dict[str, Any]
