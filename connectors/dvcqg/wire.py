"""The wire format of the DVCQG integration services `DongBoHoSoMC` and `CapNhatTienDoHoSoMC`
(NATIONAL_PORTAL.md §1.3–1.5): the ONLY module that knows their field names.

The domain builds neutral, frozen records (`DossierRecord`, `ProgressEntry` and their parts: aware datetimes,
ints, bools, plain names); `dong_bo_params` / `tien_do_params` turn them into the call's parameters, every
value a string, dates `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh. `to_payload` / `from_payload` keep them as JSON
in the outbox. When the province hands over the official VPCP specification, this module alone changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
WIRE_DATE = "%Y%m%d%H%M%S"
SUMMARY_MAX = 1000  # TrichYeuHoSo (TH cuts at 1,000 characters)
OFFICIAL_MAX = 50  # NguoiXuLy (TH cuts at 50 characters)

# KenhThucHien: 1 at the desk, 2 online, 3 by public post (F766 3.3).
CHANNELS = {"counter": "1", "online": "2", "post": "3"}
# LoaiDoiTuong: 1 citizen, 2 business, 3 state agency, 4 other organisation.
APPLICANT_KINDS = {"person": "1", "business": "2", "agency": "3", "organisation": "4"}
# NoiNopHoSo: 1 = submitted on DVCQG, 2 = the province's own system (TH sends 2; 1 is unconfirmed).
SUBMITTED_ON_DVCQG, SUBMITTED_HERE = "1", "2"
# HinhThuc (how the result is returned): 0 at the desk, 1 by post (inferred from OCPS; others unconfirmed).
RETURN_AT_DESK, RETURN_BY_POST = "0", "1"
# DuocThanhToanTrucTuyen: 1 paid on DVCQG's payment platform, 0 not paid online (0 is unconfirmed).
PAID_ON_DVCQG, NOT_PAID_ONLINE = "1", "0"
# DinhDanhCHS.LoaiDinhDanh: 1 a 12-digit personal ID, 2 a 9-digit CMND (one source).
LINK_FIELDS = frozenset({"DuongDanTaiTepTin", "DuongDanTepTinKetQua"})


def to_wire_date(value: datetime | None) -> str:
    """`yyyyMMddHHmmss` in Vietnam time; "" for no date. Naive datetimes are refused (stored times are UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("a DVCQG date needs an aware datetime")
    return value.astimezone(VIETNAM).strftime(WIRE_DATE)


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _dt(value: Any) -> datetime | None:
    return None if value in (None, "") else datetime.fromisoformat(str(value))


# --- the neutral records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmittedFile:
    """A file of the submitted dossier. `link` is filled at send time (a signed, expiring URL)."""

    file_id: int
    name: str
    component_code: str = ""
    digitised: bool = True
    reused: int = 0  # 0 no; 1 reused; 2 reused in place of a result
    from_citizen_store: bool = False
    deleted: bool = False
    link: str = ""


@dataclass(frozen=True)
class FeeItem:
    name: str
    amount: int  # VND
    code: str = ""
    collection: str = "1"  # HinhThucThu (codes unconfirmed)
    kind: str = "1"  # LoaiPhiLePhi (codes unconfirmed)


@dataclass(frozen=True)
class SupplementRound:
    round_id: str
    requested_by: str
    content: str
    requested_at: datetime
    items: tuple[str, ...] = ()
    received_at: datetime | None = None
    previous_due_at: datetime | None = None
    new_due_at: datetime | None = None

    @property
    def received(self) -> bool:
        return self.received_at is not None


@dataclass(frozen=True)
class ResultDocument:
    file_id: int
    name: str
    component_code: str = ""
    result_code: str = ""
    link: str = ""


@dataclass(frozen=True)
class DossierRecord:
    """One dossier as DVCQG sees it. `phone` and `id_number` are filled only at send time (never stored)."""

    code: str
    procedure_code: str
    procedure_name: str
    field_name: str
    channel: str  # counter / online / post
    applicant_name: str
    status: int  # national status 1–10
    submitted_at: datetime
    agency_name: str
    applicant_kind: str = "person"
    summary: str = ""
    field_code: str = ""
    applicant_tech_id: str | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None
    refused_at: datetime | None = None
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    result_by_post: bool = False
    submitted_on_dvcqg: bool = False
    vneid_verified: bool = False
    paid_online: bool = False
    files: tuple[SubmittedFile, ...] = ()
    fees: tuple[FeeItem, ...] = ()
    supplements: tuple[SupplementRound, ...] = ()
    results: tuple[ResultDocument, ...] = ()
    phone: str | None = None
    id_number: str | None = None

    def without_personal_numbers(self) -> DossierRecord:
        return replace(self, phone=None, id_number=None)

    def to_payload(self) -> dict[str, Any]:
        return _jsonable(asdict(self.without_personal_numbers()))

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> DossierRecord:
        values = dict(data)
        for name in ("submitted_at", "received_at", "due_at", "refused_at", "finished_at", "returned_at"):
            values[name] = _dt(values.get(name))
        values["files"] = tuple(SubmittedFile(**f) for f in values.get("files") or ())
        values["fees"] = tuple(FeeItem(**f) for f in values.get("fees") or ())
        values["supplements"] = tuple(
            SupplementRound(**{**s, "items": tuple(s.get("items") or ()),
                               **{k: _dt(s.get(k)) for k in ("requested_at", "received_at", "previous_due_at",
                                                             "new_due_at")}})
            for s in values.get("supplements") or ())
        values["results"] = tuple(ResultDocument(**r) for r in values.get("results") or ())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class ProgressEntry:
    """One hand-over (a `CapNhatTienDoHoSoMC` entry)."""

    code: str
    official_name: str
    content: str  # the step's name
    status: int  # the national status at that moment
    at: datetime
    title: str = ""
    unit: str = ""
    started_at: datetime | None = None
    due_at: datetime | None = None

    def to_payload(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ProgressEntry:
        values = dict(data)
        for name in ("at", "started_at", "due_at"):
            values[name] = _dt(values.get(name))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- the wire ------------------------------------------------------------------------------------------------


def record_fields(record: DossierRecord) -> dict[str, Any]:
    """One `DongBoHoSoMC` record (NATIONAL_PORTAL.md §1.3)."""
    data: dict[str, Any] = {
        "MaHoSo": record.code,
        "MaTTHC": record.procedure_code,
        "TenTTHC": record.procedure_name,
        "MaLinhVuc": record.field_code,
        "TenLinhVuc": record.field_name,
        "KenhThucHien": CHANNELS.get(record.channel, "1"),
        "ChuHoSo": record.applicant_name,
        "LoaiDoiTuong": APPLICANT_KINDS.get(record.applicant_kind, "1"),
        "MaDoiTuong": record.applicant_tech_id or "",
        "SoDienThoai": record.phone or "",
        "Email": "",
        "Fax": "",
        "ThongTinKhac": "",
        "TrichYeuHoSo": (record.summary or record.procedure_name)[:SUMMARY_MAX],
        "NgayNopHoSo": to_wire_date(record.submitted_at),
        "NgayTiepNhan": to_wire_date(record.received_at),
        "NgayHenTra": to_wire_date(record.due_at),
        "NgayTuChoi": to_wire_date(record.refused_at),
        "NgayKetThucXuLy": to_wire_date(record.finished_at),
        "NgayTra": to_wire_date(record.returned_at),
        "TrangThaiHoSo": str(record.status),
        "HinhThuc": RETURN_BY_POST if record.result_by_post else RETURN_AT_DESK,
        "DonViXuLy": record.agency_name,
        "NoiNopHoSo": SUBMITTED_ON_DVCQG if record.submitted_on_dvcqg else SUBMITTED_HERE,
        "TaiKhoanDuocXacThucVoiVNeID": _flag(record.vneid_verified),
        "DuocThanhToanTrucTuyen": PAID_ON_DVCQG if record.paid_online else NOT_PAID_ONLINE,
        "HoSoCoThanhPhanSoHoa": _flag(any(f.digitised and not f.deleted for f in record.files)),
        "DinhDanhCHS": _identity(record.id_number),
        "TaiLieuNop": [{
            "TepDinhKemId": str(f.file_id), "TenTepDinhKem": f.name, "IsDeleted": "True" if f.deleted else "False",
            "MaThanhPhanHoSo": f.component_code, "DuongDanTaiTepTin": f.link, "DuocSoHoa": _flag(f.digitised),
            "DuocTaiSuDung": str(f.reused), "DuocLayTuKhoDMQG": _flag(f.from_citizen_store),
        } for f in record.files],
        "DanhSachLePhi": [{
            "TenPhiLePhi": fee.name, "MaPhiLePhi": fee.code, "HinhThucThu": fee.collection,
            "Gia": str(fee.amount), "LoaiPhiLePhi": fee.kind,
        } for fee in record.fees],
        "DanhSachHoSoBoSung": [{
            "HoSoBoSungId": s.round_id, "NguoiYeuCauBoSung": s.requested_by, "NoiDungBoSung": s.content,
            "NgayBoSung": to_wire_date(s.requested_at), "NgayTiepNhanBoSung": to_wire_date(s.received_at),
            "TrangThaiBoSung": _flag(s.received),
            "DanhSachGiayToBoSung": [{"TenGiayTo": item} for item in s.items],
            "NgayHenTraTruoc": to_wire_date(s.previous_due_at), "NgayHenTraMoi": to_wire_date(s.new_due_at),
        } for s in record.supplements],
        "DanhSachTepDinhKemKhac": [],
        "DanhSachGiayToKetQua": [{
            "TenGiayTo": r.name, "MaThanhPhanHoSo": r.component_code, "GiayToId": str(r.file_id),
            "DuongDanTepTinKetQua": r.link, "MaGiayToKetQua": r.result_code,
        } for r in record.results],
    }
    return data


def _identity(id_number: str | None) -> list[dict[str, str]]:
    if not id_number:
        return []
    digits = "".join(ch for ch in id_number if ch.isdigit())
    return [{"LoaiDinhDanh": "2" if len(digits) == 9 else "1", "SoDinhDanh": id_number}]


def dong_bo_params(records: list[DossierRecord], *, updating: bool) -> dict[str, Any]:
    """The parameters of a `DongBoHoSoMC` call: create (`isUpdating` "False") or replace ("True")."""
    return {"isUpdating": "True" if updating else "False", "data": [record_fields(r) for r in records]}


def entry_fields(entry: ProgressEntry) -> dict[str, str]:
    return {
        "MaHoSo": entry.code,
        "NguoiXuLy": entry.official_name[:OFFICIAL_MAX],
        "ChucDanh": entry.title,
        "ThoiDiemXuLy": to_wire_date(entry.at),
        "PhongBanXuLy": entry.unit,
        "NoiDungXuLy": entry.content,
        "TrangThai": str(entry.status),
        "NgayBatDau": to_wire_date(entry.started_at),
        "NgayKetThucTheoQuyDinh": to_wire_date(entry.due_at),
    }


def tien_do_params(entries: list[ProgressEntry]) -> dict[str, Any]:
    """The parameters of a `CapNhatTienDoHoSoMC` call (TH sends at most 10 entries per call)."""
    return {"data": [entry_fields(e) for e in entries]}


def tra_cuu_params(code: str) -> dict[str, Any]:
    return {"MaHoSo": code}


def found_record(reply: dict[str, Any]) -> dict[str, Any] | None:
    """The record a `TraCuuHoSo` reply holds (the emulator's `result`; DVCQG's shape is unconfirmed)."""
    result = reply.get("result")
    return result if isinstance(result, dict) else None


def found_progress(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """The progress entries of a `TraCuuHoSo` reply: `result.TienDo` in the emulator; whether DVCQG's reply
    lists them is **unconfirmed** (without them an uncertain entry is sent again)."""
    record = found_record(reply) or {}
    entries = record.get("TienDo")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def has_entry(found: list[dict[str, Any]], entry: ProgressEntry) -> bool:
    """Whether an identical entry (same ThoiDiemXuLy, TrangThai, NoiDungXuLy) is already there."""
    mine = entry_fields(entry)
    keys = ("ThoiDiemXuLy", "TrangThai", "NoiDungXuLy")
    return any(all(str(e.get(k, "")) == mine[k] for k in keys) for e in found)


def same_record(found: dict[str, Any], record: DossierRecord) -> bool:
    """Whether DVCQG already holds this record (the signed links, made at each send, are left out)."""
    mine = record_fields(record)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in LINK_FIELDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return all(strip(found.get(k)) == strip(v) for k, v in mine.items())


__all__ = [
    "DossierRecord", "FeeItem", "ProgressEntry", "ResultDocument", "SubmittedFile", "SupplementRound",
    "dong_bo_params", "found_progress", "found_record", "has_entry", "same_record", "tien_do_params",
    "to_wire_date", "tra_cuu_params",
]
