"""The push DVCQG sends us when a citizen submits online (NATIONAL_PORTAL.md §2; OCPS
`doCreateDossierFromDVCQG`): its JSON shape, parsed into a neutral `OnlineSubmission`, and our reply in
DVCQG's form `{"error_code": "0"|"-1", "message": …}`.

Field names are DVCQG's (the `DongBoHoSoMC` record, §1.3) where one is known. **Unconfirmed**: the exact
shape of the general 2025 push (§2 says the route is unconfirmed); OCPS shows only that `MaHoSo` and
`MaTTHC` are required, with applicant data and base64 files. `DongYNhanThongBaoZalo` is OURS (the citizen's
consent to Zalo messages): it is in no known specification.

Transport-neutral: no web framework here; `fetch_file` reads a file link with a short timeout and a size
bound (the domain receives it injected, so nothing in `workflows/` speaks HTTP).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%Y%m%d%H%M%S"
ZALO_CONSENT_FIELD = "DongYNhanThongBaoZalo"  # ours: in no known DVCQG specification
# Ours too (unconfirmed): the facts the applicant declared on the DVCQG form that decide the fee, as our
# procedure's intake fields name them ({"hang_de_nghi": "mot_hai_sao"}).
FACTS_FIELD = "ThongTinKeKhai"
MAX_FILES = 30
MAX_TEXT = 1000  # TH cuts TrichYeuHoSo at 1,000 characters

# Vietnamese labels of the push's fields, for the messages naming them.
LABELS = {
    "MaHoSo": "Mã hồ sơ (MaHoSo)",
    "MaTTHC": "Mã thủ tục hành chính (MaTTHC)",
    "ChuHoSo": "Chủ hồ sơ (ChuHoSo)",
    "LoaiDoiTuong": "Loại đối tượng (LoaiDoiTuong)",
    "DinhDanhCHS": "Định danh chủ hồ sơ (DinhDanhCHS)",
    "SoDienThoai": "Số điện thoại (SoDienThoai)",
    "Email": "Thư điện tử (Email)",
    "NgayNopHoSo": "Ngày nộp hồ sơ (NgayNopHoSo)",
    "TaiKhoanDuocXacThucVoiVNeID": "Tài khoản xác thực VNeID (TaiKhoanDuocXacThucVoiVNeID)",
    ZALO_CONSENT_FIELD: f"Đồng ý nhận thông báo qua Zalo ({ZALO_CONSENT_FIELD})",
    "TaiLieuNop": "Tài liệu nộp (TaiLieuNop)",
    "TrichYeuHoSo": "Trích yếu hồ sơ (TrichYeuHoSo)",
}
MA_HO_SO_RE = re.compile(r"^[0-9A-Za-z.]{3,40}-\d{6,8}-\d{4,7}$")


class PushRefused(Exception):
    """The push is refused: each error names a field of the push ("TaiLieuNop[0].DuongDanTaiTepTin")."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


@dataclass(frozen=True)
class SubmittedFile:
    """One file of `TaiLieuNop`: a link to fetch (`url`) or the bytes themselves (`content`)."""

    name: str
    component_code: str | None
    url: str | None = None
    content: bytes | None = None
    field: str = ""  # where it sits in the push, for error messages


@dataclass(frozen=True)
class OnlineSubmission:
    national_code: str  # MaHoSo, kept unchanged as our dossier code
    procedure_national_code: str  # MaTTHC
    applicant_name: str
    applicant_kind: str  # person | organisation
    id_number: str | None
    phone: str | None
    email: str | None
    address: str | None
    tech_id: str | None  # MaDoiTuong: the DVCQG account's TechID
    summary: str | None
    submitted_at: datetime  # aware UTC
    vneid_verified: bool
    zalo_consent: bool
    files: tuple[SubmittedFile, ...] = field(default_factory=tuple)
    facts: dict[str, str | int] = field(default_factory=dict)  # ThongTinKeKhai: what decides the fee


@dataclass(frozen=True)
class SupplementSubmission:
    national_code: str
    note: str | None
    submitted_at: datetime | None
    files: tuple[SubmittedFile, ...]


def reply_ok(message: str) -> dict[str, Any]:
    return {"error_code": "0", "message": message}


def reply_refused(message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """DVCQG's refusal form plus our `errors` list (field, Vietnamese message)."""
    return {"error_code": "-1", "message": message, "errors": errors or []}


def format_date(moment: datetime) -> str:
    return moment.astimezone(VN).strftime(DATE_FORMAT)


class _Reader:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[dict[str, str]] = []

    def fail(self, name: str, message: str, path: str | None = None) -> None:
        self.errors.append({"field": path or name, "message": f"{LABELS.get(name, name)}: {message}"})

    def text(self, name: str, *, required: bool = False, max_length: int = 255) -> str | None:
        value = self.body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "bắt buộc.")
            return None
        if not isinstance(value, str | int):
            self.fail(name, "phải là chuỗi ký tự.")
            return None
        text = str(value).strip()
        if len(text) > max_length:
            self.fail(name, f"dài quá {max_length} ký tự.")
            return None
        return text

    def flag(self, name: str) -> bool:
        value = self.body.get(name)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if str(value).strip() in ("1", "true", "True"):
            return True
        if str(value).strip() in ("0", "false", "False"):
            return False
        self.fail(name, "chỉ nhận 0 hoặc 1.")
        return False

    def date(self, name: str, *, required: bool) -> datetime | None:
        value = self.text(name, required=required, max_length=14)
        if value is None:
            return None
        try:
            if not re.fullmatch(r"\d{14}", value):
                raise ValueError
            return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=VN).astimezone(UTC)
        except ValueError:
            self.fail(name, "không đúng định dạng yyyyMMddHHmmss (giờ Việt Nam).")
            return None

    def code(self) -> str | None:
        value = self.text("MaHoSo", required=True, max_length=64)
        if value is not None and not MA_HO_SO_RE.match(value):
            self.fail("MaHoSo", "không đúng dạng mã hồ sơ (mã cơ quan-yyMMdd-số thứ tự).")
            return None
        return value

    def files(self, *, required: bool) -> tuple[SubmittedFile, ...]:
        items = self.body.get("TaiLieuNop")
        if items is None or items == []:
            if required:
                self.fail("TaiLieuNop", "cần ít nhất một tệp.")
            return ()
        if not isinstance(items, list):
            self.fail("TaiLieuNop", "phải là một danh sách.")
            return ()
        if len(items) > MAX_FILES:
            self.fail("TaiLieuNop", f"tối đa {MAX_FILES} tệp.")
            return ()
        out = []
        for i, item in enumerate(items):
            path = f"TaiLieuNop[{i}]"
            if not isinstance(item, dict):
                self.fail("TaiLieuNop", "mỗi tệp phải là một đối tượng.", path)
                continue
            if str(item.get("IsDeleted", "False")).strip().lower() in ("true", "1"):
                continue
            name = str(item.get("TenTepDinhKem") or "").strip()
            if not name:
                self.fail("TaiLieuNop", f"tệp thứ {i + 1} thiếu tên tệp (TenTepDinhKem).", f"{path}.TenTepDinhKem")
                continue
            component = str(item.get("MaThanhPhanHoSo") or "").strip() or None
            url = str(item.get("DuongDanTaiTepTin") or "").strip() or None
            raw = item.get("NoiDungTepTin")
            content = None
            if raw:
                try:
                    content = base64.b64decode(str(raw), validate=True)
                except (binascii.Error, ValueError):
                    self.fail("TaiLieuNop", f"nội dung tệp “{name}” không phải base64 hợp lệ.",
                              f"{path}.NoiDungTepTin")
                    continue
            elif url is None:
                self.fail("TaiLieuNop", f"tệp “{name}” cần đường dẫn (DuongDanTaiTepTin) hoặc nội dung "
                                        "(NoiDungTepTin).", f"{path}.DuongDanTaiTepTin")
                continue
            elif not url.startswith(("http://", "https://")):
                self.fail("TaiLieuNop", f"đường dẫn tệp “{name}” phải là http(s).", f"{path}.DuongDanTaiTepTin")
                continue
            out.append(SubmittedFile(name=name[:255], component_code=component, url=None if content else url,
                                     content=content, field=path))
        return tuple(out)


def _ensure_object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PushRefused("Dữ liệu gửi lên phải là một đối tượng JSON.", [])
    return body


def parse_submission(body: object) -> OnlineSubmission:
    """The push as an `OnlineSubmission`, or `PushRefused` naming every bad field."""
    r = _Reader(_ensure_object(body))
    code = r.code()
    procedure = r.text("MaTTHC", required=True, max_length=64)
    name = r.text("ChuHoSo", required=True)
    kind = r.text("LoaiDoiTuong", max_length=2) or "1"
    if kind not in ("1", "2", "3", "4"):
        r.fail("LoaiDoiTuong", "chỉ nhận 1, 2, 3 hoặc 4.")
    id_number = None
    ids = r.body.get("DinhDanhCHS")
    if ids is not None and not isinstance(ids, list):
        r.fail("DinhDanhCHS", "phải là một danh sách.")
    elif ids:
        first = ids[0] if isinstance(ids[0], dict) else {}
        id_number = str(first.get("SoDinhDanh") or "").strip() or None
    submitted_at = r.date("NgayNopHoSo", required=True)
    facts = r.body.get(FACTS_FIELD) or {}
    if not isinstance(facts, dict) or not all(isinstance(k, str) and isinstance(v, str | int) and
                                              not isinstance(v, bool) for k, v in facts.items()):
        r.fail(FACTS_FIELD, "phải là một đối tượng mà mỗi giá trị là chuỗi hoặc số nguyên.")
        facts = {}
    submission = OnlineSubmission(
        national_code=code or "", procedure_national_code=procedure or "", applicant_name=name or "",
        applicant_kind="person" if kind == "1" else "organisation", id_number=id_number,
        phone=r.text("SoDienThoai", max_length=20), email=r.text("Email"), address=r.text("DiaChi", max_length=500),
        tech_id=r.text("MaDoiTuong", max_length=64), summary=r.text("TrichYeuHoSo", max_length=MAX_TEXT),
        submitted_at=submitted_at or datetime.now(UTC), vneid_verified=r.flag("TaiKhoanDuocXacThucVoiVNeID"),
        zalo_consent=r.flag(ZALO_CONSENT_FIELD), files=r.files(required=False), facts=dict(facts),
    )
    if r.errors:
        raise PushRefused("Hồ sơ không hợp lệ: " + "; ".join(e["message"] for e in r.errors), r.errors)
    return submission


def parse_supplement(code: str, body: object) -> SupplementSubmission:
    r = _Reader(_ensure_object(body))
    submitted_at = r.date("NgayNopHoSo", required=False)
    files = r.files(required=True)
    note = r.text("NoiDungBoSung", max_length=MAX_TEXT)
    if r.errors:
        raise PushRefused("Hồ sơ bổ sung không hợp lệ: " + "; ".join(e["message"] for e in r.errors), r.errors)
    return SupplementSubmission(national_code=code, note=note, submitted_at=submitted_at, files=files)


class FileFetchFailed(Exception):
    pass


def fetch_file(url: str, *, max_bytes: int, timeout: float = 10.0) -> bytes:
    """The bytes at `url`, read in chunks and cut at `max_bytes`; `FileFetchFailed` with a Vietnamese reason."""
    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                raise FileFetchFailed(f"máy chủ trả lời HTTP {response.status_code}")
            chunks, total = [], 0
            for chunk in response.iter_content(64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise FileFetchFailed(f"tệp lớn quá {max_bytes // (1024 * 1024) or 1} MB")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException:
        raise FileFetchFailed("không tải được tệp (lỗi kết nối hoặc quá thời gian chờ)") from None
