"""The integration services the province calls (NATIONAL_PORTAL.md §1.2): `DongBoHoSoMC`,
`CapNhatTienDoHoSoMC`, `TraCuuHoSo`. Each handler reads the call's body and answers the reply's data, or
raises EmuRefusal."""

from __future__ import annotations

from typing import Any

from connectors.dvcqg.emulator.state import EmulatorState, EmuRefusal


def dong_bo_ho_so(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Create (`isUpdating` "False") or replace ("True") the records in `data`; "đã tồn tại" for a create
    of a known MaHoSo."""
    records = body.get("data")
    if not isinstance(records, list) or not records:
        raise EmuRefusal("-1", "Thiếu dữ liệu hồ sơ (data)")
    updating = str(body.get("isUpdating", "False")).lower() == "true"
    with state.lock:
        for record in records:
            code = str(record.get("MaHoSo") or "")
            if not code:
                raise EmuRefusal("-1", "Thiếu MaHoSo")
            if not updating and code in state.records:
                raise EmuRefusal("-1", f"Hồ sơ {code} đã tồn tại")
            if updating and code not in state.records:
                raise EmuRefusal("-1", f"Hồ sơ {code} không tồn tại")
        for record in records:
            state.records[str(record["MaHoSo"])] = dict(record)
    return {"message": "Đồng bộ hồ sơ thành công"}


def cap_nhat_tien_do(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    entries = body.get("data")
    if not isinstance(entries, list) or not entries:
        raise EmuRefusal("-1", "Thiếu dữ liệu tiến độ (data)")
    with state.lock:
        for entry in entries:
            code = str(entry.get("MaHoSo") or "")
            if code not in state.records:
                raise EmuRefusal("-1", f"Hồ sơ {code} không tồn tại")
        for entry in entries:
            state.progress.setdefault(str(entry["MaHoSo"]), []).append(dict(entry))
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
