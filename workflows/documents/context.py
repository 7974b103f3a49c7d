"""What a form needs to be printed: the form codes of TT 03/2025/TT-VPCP Phụ lục I and the plain data
(`FormContext`) the caller assembles from a dossier. Nothing here touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import NamedTuple
from urllib.parse import quote

from workflows.core.clock import ensure_utc, to_local


class FormCode(Enum):
    """The seven forms of TT 03/2025/TT-VPCP Phụ lục I; the value goes into `dossier_document.form_code`."""

    MAU_01 = "MAU_01"
    MAU_02 = "MAU_02"
    MAU_03 = "MAU_03"
    MAU_04 = "MAU_04"
    MAU_05 = "MAU_05"
    MAU_06 = "MAU_06"
    MAU_07 = "MAU_07"

    @property
    def number(self) -> str:
        return self.value[-2:]

    @property
    def title_vi(self) -> str:
        return _TITLES[self]

    @property
    def label(self) -> str:
        return f"Mẫu số {self.number}"


_TITLES = {
    FormCode.MAU_01: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    FormCode.MAU_02: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    FormCode.MAU_03: "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    FormCode.MAU_04: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
    FormCode.MAU_05: "Thông báo dừng giải quyết hồ sơ",
    FormCode.MAU_06: "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    FormCode.MAU_07: "Sổ theo dõi hồ sơ",
}

STEP_EARLY = "Trước hạn"
STEP_ON_TIME = "Đúng hạn"
STEP_LATE = "Quá hạn"


class DocumentLine(NamedTuple):
    """One component of a dossier (or one item to supplement): name, number of copies, kind of copy.
    A plain `(name, count, kind)` tuple is accepted wherever a DocumentLine is (see `as_line`)."""

    name: str
    count: int = 1
    kind: str = "Bản chính"  # "Bản chính" | "Bản sao" | "Bản sao chứng thực" | "Bản điện tử" ...


class FeeLine(NamedTuple):
    """One fee of the procedure as printed: its name, the condition it applies under (may be blank) and
    the amount as text ("4.000.000 đồng")."""

    name: str
    condition: str
    amount: str


@dataclass(frozen=True)
class ControlLogRow:
    """One hand-over of the dossier (Mẫu 06): the step of `from_*` ends at `handed_at`, due at `due_at`."""

    from_unit: str
    to_unit: str
    handed_at: datetime
    from_user: str = ""
    to_user: str = ""
    due_at: datetime | None = None
    result: str | None = None  # None: computed from handed_at and due_at (see step_result)
    note: str = ""


@dataclass(frozen=True)
class RegisterRow:
    """One dossier in the Sổ theo dõi hồ sơ (Mẫu 07)."""

    dossier_code: str
    procedure_name: str
    applicant_name: str
    received_at: datetime
    appointment_at: datetime | None = None
    applicant_address: str = ""
    applicant_phone_masked: str = ""
    dossier_sets: int = 1
    lead_agency: str = ""
    transferred_at: datetime | None = None
    result_received_at: datetime | None = None
    returned_at: datetime | None = None
    note: str = ""


@dataclass
class FormContext:
    """Everything printed on a form. Datetimes are aware (UTC is fine): they are shown in Vietnam time.

    Never put an ID-card (CCCD) number here: no form prints one. `applicant_phone_masked` must already be
    masked (`09******89`, DOMAIN §6) — the renderer prints what it is given.
    """

    agency_name: str
    issued_at: datetime
    parent_agency_name: str = ""
    agency_code: str = ""
    place_name: str = ""  # "Tuyên Quang" in "Tuyên Quang, ngày … tháng … năm …"
    document_number: str = ""  # "15/TNHS"; blank prints "Số: …/…"
    dossier_code: str = ""
    procedure_name: str = ""
    time_limit_text: str = ""  # "05 ngày làm việc"
    applicant_name: str = ""
    applicant_address: str = ""
    applicant_phone_masked: str = ""
    applicant_email: str = ""
    documents: list[DocumentLine | tuple | str] = field(default_factory=list)
    dossier_sets: int = 1
    received_at: datetime | None = None
    appointment_at: datetime | None = None
    new_appointment_at: datetime | None = None
    # The signer (full name, never a login) and how the signing block is headed: blank `signer_heading`
    # prints the form's own ("Người tiếp nhận hồ sơ"); a leader signing for the agency gets e.g.
    # "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC". `official_position` ("Chuyên viên Phòng …") prints under the name.
    official_name: str = ""
    official_title: str = ""
    official_position: str = ""
    signer_heading: str = ""
    official_phone: str = ""  # a phone for guidance, printed on Mẫu 02 (the unit's, when set)
    # A digital signature's lines (`appearance.stamp_lines`), printed framed in the official's signing block when
    # the form is signed as it is issued; empty leaves the block for a hand signature.
    signature_stamp: tuple[str, ...] = ()
    unit_name: str = ""  # the unit the citizen may contact (Mẫu 02)
    reason: str = ""
    items: list[DocumentLine | tuple | str] = field(default_factory=list)  # what to supplement (Mẫu 02)
    stage: str = ""  # Mẫu 05: how far processing had got
    coordinating_agency: str = ""  # Mẫu 06: cơ quan phối hợp
    control_log: list[ControlLogRow] = field(default_factory=list)
    register_rows: list[RegisterRow] = field(default_factory=list)
    period_start: date | None = None
    period_end: date | None = None
    lookup_url: str = ""
    result_channel: str = ""  # a sentence: "Ông/Bà/Tổ chức nhận kết quả trực tiếp tại Bộ phận Một cửa …"
    fees_text: str = ""
    fee_lines: list[FeeLine] = field(default_factory=list)  # Mẫu 01: the fee table, conditions in full
    fee_basis: str = ""  # the declared facts that chose `fee_lines` ("Số phòng hát: 5"); blank: whole table
    register_book: str = ""  # Mẫu 01: "Quyển số"
    register_seq: str = ""  # Mẫu 01: "Số thứ tự"


def as_line(value: DocumentLine | tuple | str) -> DocumentLine:
    """A DocumentLine from a DocumentLine, a `(name[, count[, kind]])` tuple or a bare name."""
    if isinstance(value, str):
        return DocumentLine(value, 1, "")
    return DocumentLine(*value)


def lookup_url(public_base_url: str, dossier_code: str) -> str:
    """The citizen lookup page of one dossier; the QR code carries this and nothing personal."""
    return f"{public_base_url.rstrip('/')}/tra-cuu?ma={quote(dossier_code, safe='')}"


def step_result(done_at: datetime, due_at: datetime) -> str:
    """Trước hạn / Đúng hạn / Quá hạn of one step: late after the due instant, on time on the due day
    (Vietnam calendar), early on any earlier day."""
    done, due = ensure_utc(done_at), ensure_utc(due_at)
    if done > due:
        return STEP_LATE
    return STEP_ON_TIME if to_local(done).date() == to_local(due).date() else STEP_EARLY


def vn_datetime(value: datetime) -> str:
    """`09 giờ 05 phút, ngày 24 tháng 11 năm 2026` in Vietnam time."""
    local = to_local(ensure_utc(value))
    return f"{local:%H} giờ {local:%M} phút, {vn_date(local.date())}"


def vn_date(value: date) -> str:
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}"


def vn_day(value: datetime) -> str:
    """`24 tháng 11 năm 2026`: the Vietnam calendar day of an instant, without the leading `ngày`."""
    return vn_date(to_local(ensure_utc(value)).date()).removeprefix("ngày ")


def vn_compact(value: datetime | None) -> str:
    """`24/11/2026\n09:05` for the narrow date columns of the register; blank when absent."""
    if value is None:
        return ""
    local = to_local(ensure_utc(value))
    return f"{local:%d/%m/%Y}\n{local:%H:%M}"


def vn_datetime_short(value: datetime | None) -> str:
    """`09 giờ 05 phút\\nngày 24/11/2026` for narrow table cells; blank when absent."""
    if value is None:
        return ""
    local = to_local(ensure_utc(value))
    return f"{local:%H} giờ {local:%M} phút\nngày {local:%d/%m/%Y}"
