"""The QĐ 766 indicators the national "Hệ thống điều phối" reads from synced data (NATIONAL_PORTAL.md F766,
§1.4), computed from the emulator's records, and a helper that reads the ledger for tests.

Each indicator has a numerator and a denominator (`value` is the percentage, None when nothing counts).
The emulator's reading of the F766 rules (the formulas were read in a transcription; the selections
below are **unconfirmed** where marked):
- 2.1 on time: among finished dossiers (NgayKetThucXuLy set), those with NgayKetThucXuLy ≤ NgayHenTra;
- 3.3 online share: KenhThucHien "2" among all dossiers;
- 3.6 online payment: DuocThanhToanTrucTuyen "1" or "2" among dossiers with fees (DanhSachLePhi non-empty);
- 4.1 electronic results: among dossiers with a result (TrangThaiHoSo 9 or 10), those with a result entry
  holding both a link (DuongDanTepTinKetQua) and a result code (MaGiayToKetQua);
- 4.5 VNeID: TaiKhoanDuocXacThucVoiVNeID "1" among online dossiers (KenhThucHien "2"; the denominator is
  **unconfirmed**).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from connectors.dvcqg.emulator.state import EmulatorState

Record = dict[str, Any]


def _indicator(code: str, name: str, records: list[Record], counts: Callable[[Record], bool],
               inside: Callable[[Record], bool]) -> dict[str, Any]:
    denominator = [r for r in records if inside(r)]
    numerator = sum(1 for r in denominator if counts(r))
    value = round(100 * numerator / len(denominator), 2) if denominator else None
    return {"code": code, "name": name, "numerator": numerator, "denominator": len(denominator), "value": value}


def _finished(record: Record) -> bool:
    return bool(record.get("NgayKetThucXuLy"))


def _on_time(record: Record) -> bool:
    due = record.get("NgayHenTra")
    return bool(due) and str(record["NgayKetThucXuLy"]) <= str(due)  # yyyyMMddHHmmss sorts as text


def _e_result(record: Record) -> bool:
    return any(item.get("DuongDanTepTinKetQua") and item.get("MaGiayToKetQua")
               for item in record.get("DanhSachGiayToKetQua") or [])


def compute_from(records: Iterable[Record]) -> list[dict[str, Any]]:
    """The indicators over `records` (DongBoHoSoMC records as last synced)."""
    rows = list(records)
    return [
        _indicator("2.1", "Tỷ lệ hồ sơ giải quyết đúng hạn", rows, _on_time, _finished),
        _indicator("3.3", "Tỷ lệ hồ sơ nộp trực tuyến", rows, lambda r: r.get("KenhThucHien") == "2",
                   lambda r: True),
        _indicator("3.6", "Tỷ lệ hồ sơ thanh toán trực tuyến", rows,
                   lambda r: r.get("DuocThanhToanTrucTuyen") in ("1", "2"), lambda r: bool(r.get("DanhSachLePhi"))),
        _indicator("4.1", "Tỷ lệ hồ sơ có kết quả điện tử", rows, _e_result,
                   lambda r: r.get("TrangThaiHoSo") in ("9", "10")),
        _indicator("4.5", "Tỷ lệ hồ sơ trực tuyến xác thực bằng VNeID", rows,
                   lambda r: r.get("TaiKhoanDuocXacThucVoiVNeID") == "1", lambda r: r.get("KenhThucHien") == "2"),
    ]


def compute(state: EmulatorState) -> list[dict[str, Any]]:
    with state.lock:
        records = [dict(r) for r in state.records.values()]
    return compute_from(records)


def applied_history(entries: Iterable[dict[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """Per MaHoSo, from ledger entries (as `GET /ledger` returns them): `statuses`, the TrangThaiHoSo each
    applied (outcome "ok" or "timeout_after_apply") DongBoHoSoMC call carried, in order; `progress`, the
    applied CapNhatTienDoHoSoMC entries, in order."""
    history: dict[str, dict[str, list[Any]]] = {}
    for entry in sorted(entries, key=lambda e: e.get("seq", 0)):
        if entry.get("outcome") not in ("ok", "timeout_after_apply"):
            continue
        service, data = entry.get("service"), (entry.get("body") or {}).get("data") or []
        if service not in ("DongBoHoSoMC", "CapNhatTienDoHoSoMC"):
            continue
        for item in data:
            code = str(item.get("MaHoSo"))
            slot = history.setdefault(code, {"statuses": [], "progress": []})
            if service == "DongBoHoSoMC":
                slot["statuses"].append(item.get("TrangThaiHoSo"))
            else:
                slot["progress"].append(item)
    return history
