"""The integration services the province calls (NATIONAL_PORTAL.md §1.2): `DongBoHoSoMC`,
`CapNhatTienDoHoSoMC`, `TraCuuHoSo`. Each handler reads the call's body and answers the reply's data, or
raises EmuRefusal (`error_code` "-1" with a Vietnamese message naming the record and the field).

What the emulator checks (NATIONAL_PORTAL.md §1.3, §7.3). This is **the emulator's reading, unconfirmed**:
the VPCP specification's field rules were not found, so the set below is rebuilt from the three known
integrations and chosen to catch our own mistakes, not to copy DVCQG's exact behaviour.

`DongBoHoSoMC` record (every record of `data` is checked before any is stored):
- required, non-empty: MaHoSo, MaTTHC, TenTTHC, KenhThucHien, ChuHoSo, LoaiDoiTuong, TrichYeuHoSo,
  NgayNopHoSo, TrangThaiHoSo, DonViXuLy; plus NgayTiepNhan and NgayHenTra for statuses 2, 4, 6, 9
  and 10 (5, 7 and 8 can come before reception: a desk supplement, a withdrawal) and NgayTuChoi for status 3;
- every value a string (lists of objects whose values are strings for the list fields);
- every `Ngay…` field present: exactly `yyyyMMddHHmmss` and a real date and time;
- TrangThaiHoSo "1".."10"; KenhThucHien "1".."3"; LoaiDoiTuong "1".."4"; the flags
  TaiKhoanDuocXacThucVoiVNeID and HoSoCoThanhPhanSoHoa "0"/"1"; DuocThanhToanTrucTuyen "0", "1" or "2";
- the MaHoSo prefix (before the first "-") is the caller's `madonvi` in full (`000.00.22.H60`) or short
  form (`H60.22`, as TH's configuration writes `000.00.NN.Hxx`);
- every `TaiLieuNop[].DuongDanTaiTepTin` and `DanhSachGiayToKetQua[].DuongDanTepTinKetQua` answers an
  HTTP GET with 200 and a non-empty body (switchable: `state.check_file_links`, on by default).
A create (`isUpdating` "False") of a known MaHoSo answers "đã tồn tại"; `isUpdating` "True" replaces.

`CapNhatTienDoHoSoMC` entry: required MaHoSo (a known record), NguoiXuLy (at most 50 characters),
ThoiDiemXuLy, NoiDungXuLy, TrangThai ("1".."10"); dates as above; values strings.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import requests

from connectors.dvcqg.emulator.state import EmulatorState, EmuRefusal

RECORD_REQUIRED = ("MaHoSo", "MaTTHC", "TenTTHC", "KenhThucHien", "ChuHoSo", "LoaiDoiTuong", "TrichYeuHoSo",
                   "NgayNopHoSo", "TrangThaiHoSo", "DonViXuLy")
PROGRESS_REQUIRED = ("MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai")
STATUSES = frozenset(str(n) for n in range(1, 11))
CODE_SETS: dict[str, frozenset[str]] = {
    "TrangThaiHoSo": STATUSES,
    "KenhThucHien": frozenset({"1", "2", "3"}),
    "LoaiDoiTuong": frozenset({"1", "2", "3", "4"}),
    "TaiKhoanDuocXacThucVoiVNeID": frozenset({"0", "1"}),
    "HoSoCoThanhPhanSoHoa": frozenset({"0", "1"}),
    "DuocThanhToanTrucTuyen": frozenset({"0", "1", "2"}),
}
LINK_FIELDS = (("TaiLieuNop", "DuongDanTaiTepTin"), ("DanhSachGiayToKetQua", "DuongDanTepTinKetQua"))
PROGRESS_DATES = ("ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh")
NGUOI_XU_LY_MAX = 50
LINK_TIMEOUT_SECONDS = 3.0
_DATE = re.compile(r"^\d{14}$")
_AGENCY = re.compile(r"^\d{3}\.\d{2}\.(\d{2})\.(H\d{2})$")


def short_agency_code(madonvi: str) -> str | None:
    """`000.00.NN.Hxx` → `Hxx.NN` (TH's configuration form); None for another shape."""
    match = _AGENCY.match(madonvi)
    return f"{match.group(2)}.{match.group(1)}" if match else None


def _refuse(code: str, message: str) -> EmuRefusal:
    return EmuRefusal("-1", f"Hồ sơ {code}: {message}")


def _check_date(code: str, field: str, value: str) -> None:
    ok = bool(_DATE.match(value))
    if ok:
        try:
            datetime.strptime(value, "%Y%m%d%H%M%S")
        except ValueError:
            ok = False
    if not ok:
        raise _refuse(code, f"{field} '{value}' không đúng định dạng yyyyMMddHHmmss")


def _check_strings(code: str, record: dict[str, Any], prefix: str = "") -> None:
    """Every value a string; a list holds objects checked the same way (DanhSachHoSoBoSung[].DanhSachGiayToBoSung[]
    nests a list in a list's items)."""
    for field, value in record.items():
        name = f"{prefix}{field}"
        if isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    raise _refuse(code, f"{name}[{index}] phải là một đối tượng")
                _check_strings(code, item, prefix=f"{name}[{index}].")
        elif not isinstance(value, str):
            raise _refuse(code, f"{name} phải là chuỗi ký tự")


def _present(record: dict[str, Any], field: str) -> bool:
    value = record.get(field)
    return isinstance(value, str) and value.strip() != ""


def check_record(record: Any, *, madonvi: str) -> str:
    """Everything but the file links; returns the MaHoSo."""
    if not isinstance(record, dict):
        raise EmuRefusal("-1", "Mỗi phần tử của data phải là một đối tượng hồ sơ")
    code = str(record.get("MaHoSo") or "").strip()
    if not code:
        raise EmuRefusal("-1", "Hồ sơ thiếu trường bắt buộc MaHoSo")
    _check_strings(code, record)
    required = list(RECORD_REQUIRED)
    status = record.get("TrangThaiHoSo")
    if status == "3":
        required.append("NgayTuChoi")
    elif status in STATUSES and status not in ("1", "5", "7", "8"):
        # 5, 7 and 8 can happen at reception, before a receipt date exists (a desk supplement, a withdrawal).
        required += ["NgayTiepNhan", "NgayHenTra"]
    for field in required:
        if not _present(record, field):
            raise _refuse(code, f"thiếu trường bắt buộc {field}")
    for field, allowed in CODE_SETS.items():
        value = record.get(field)
        if value not in (None, "") and value not in allowed:
            choices = ", ".join(sorted(allowed, key=int))
            raise _refuse(code, f"{field} '{value}' không hợp lệ (giá trị cho phép: {choices})")
    for field, value in record.items():
        if field.startswith("Ngay") and value:
            _check_date(code, field, value)
    prefix = code.split("-", 1)[0]
    short = short_agency_code(madonvi)
    if prefix not in {madonvi, short}:
        forms = f"{madonvi} hoặc {short}" if short else madonvi
        raise _refuse(code, f"tiền tố mã hồ sơ '{prefix}' không khớp mã đơn vị {forms}")
    return code


def _links(record: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for list_field, link_field in LINK_FIELDS:
        for index, item in enumerate(record.get(list_field) or []):
            link = item.get(link_field)
            if link:
                found.append((f"{list_field}[{index}].{link_field}", link))
    return found


def check_links(code: str, record: dict[str, Any]) -> None:
    """Each file link fetched (GET, short timeout): a refusal names the first link that fails."""
    for where, link in _links(record):
        try:
            response = requests.get(link, timeout=LINK_TIMEOUT_SECONDS)
            fetched = response.status_code == 200 and bool(response.content)
        except requests.RequestException:
            fetched = False
        if not fetched:
            raise _refuse(code, f"không tải được tệp {where} '{link}'")


def dong_bo_ho_so(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Create (`isUpdating` "False") or replace ("True") the records in `data`; "đã tồn tại" for a create
    of a known MaHoSo. Nothing is stored unless every record passes. May fetch file links: run it off the
    event loop."""
    records = body.get("data")
    if not isinstance(records, list) or not records:
        raise EmuRefusal("-1", "Thiếu dữ liệu hồ sơ (data)")
    updating = str(body.get("isUpdating", "False")).lower() == "true"
    madonvi = str(body.get("madonvi") or state.madonvi)
    codes = [check_record(record, madonvi=madonvi) for record in records]
    with state.lock:
        for code in codes:
            if not updating and code in state.records:
                raise EmuRefusal("-1", f"Hồ sơ {code} đã tồn tại")
            if updating and code not in state.records:
                raise EmuRefusal("-1", f"Hồ sơ {code} không tồn tại")
    if state.check_file_links:
        for code, record in zip(codes, records, strict=True):
            check_links(code, record)
    with state.lock:
        for code, record in zip(codes, records, strict=True):
            state.records[code] = dict(record)
    return {"message": "Đồng bộ hồ sơ thành công"}


def check_progress(state: EmulatorState, entry: Any) -> str:
    if not isinstance(entry, dict):
        raise EmuRefusal("-1", "Mỗi phần tử của data phải là một đối tượng tiến độ")
    code = str(entry.get("MaHoSo") or "").strip()
    if not code:
        raise EmuRefusal("-1", "Tiến độ thiếu trường bắt buộc MaHoSo")
    with state.lock:
        known = code in state.records
    if not known:
        raise EmuRefusal("-1", f"Hồ sơ {code} không tồn tại")
    _check_strings(code, entry)
    for field in PROGRESS_REQUIRED:
        if not _present(entry, field):
            raise _refuse(code, f"tiến độ thiếu trường bắt buộc {field}")
    if entry["TrangThai"] not in STATUSES:
        raise _refuse(code, f"TrangThai '{entry['TrangThai']}' không hợp lệ (giá trị cho phép: 1..10)")
    for field in PROGRESS_DATES:
        if entry.get(field):
            _check_date(code, field, entry[field])
    if len(entry["NguoiXuLy"]) > NGUOI_XU_LY_MAX:
        raise _refuse(code, f"NguoiXuLy dài quá {NGUOI_XU_LY_MAX} ký tự")
    return code


def cap_nhat_tien_do(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    entries = body.get("data")
    if not isinstance(entries, list) or not entries:
        raise EmuRefusal("-1", "Thiếu dữ liệu tiến độ (data)")
    codes = [check_progress(state, entry) for entry in entries]
    with state.lock:
        for code, entry in zip(codes, entries, strict=True):
            state.progress.setdefault(code, []).append(dict(entry))
    return {"message": "Cập nhật tiến độ thành công"}


def tra_cuu_ho_so(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    code = str(body.get("MaHoSo") or "")
    with state.lock:
        record = state.records.get(code)
        progress = list(state.progress.get(code, []))
    if record is None:
        raise EmuRefusal("-1", f"Không tìm thấy hồ sơ {code}")
    return {"message": "Thành công", "result": {**record, "TienDo": progress}}


def register(state: EmulatorState) -> None:
    state.services.update({"DongBoHoSoMC": dong_bo_ho_so, "CapNhatTienDoHoSoMC": cap_nhat_tien_do,
                           "TraCuuHoSo": tra_cuu_ho_so})
