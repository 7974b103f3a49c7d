"""The wire of the national procedure catalogue (CSDLQG về TTHC): a `LayThuTuc` reply → `NationalProcedure`,
a neutral record the domain compares with its own catalogue (NATIONAL_PORTAL.md §1.2; OCPS field names).

The reply's procedure is read from `result` (the emulator's envelope; OCPS's exact envelope is
**unconfirmed**). Its time limit and fees come from the first `THOIGIAN` of channel `KENH` "1" (trực tiếp),
else of the first channel listed.

`DONVITINH` → our time units (the words are compared lower-cased, without surrounding spaces):

    "Ngày làm việc"   → working_days
    "Ngày"            → calendar_days   (also "Ngày lịch")
    "Giờ làm việc"    → working_hours   (also "Giờ")

Any other unit, or a `THOIGIANGIAIQUYET` that is not a whole number, is refused with `CatalogueWireError`
(the refresh shows it; it never guesses). The words DVCQG uses are **unconfirmed**.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNITS: dict[str, str] = {
    "ngày làm việc": "working_days",
    "ngày": "calendar_days",
    "ngày lịch": "calendar_days",
    "giờ làm việc": "working_hours",
    "giờ": "working_hours",
}


class CatalogueWireError(ValueError):
    """A LayThuTuc reply we cannot read; the message is Vietnamese, for the administrator."""


@dataclass(frozen=True)
class NationalFee:
    name: str
    amount: int | None  # VND; None when the national database gives no figure
    description: str


@dataclass(frozen=True)
class NationalComponent:
    code: str
    name: str
    originals: int
    copies: int


@dataclass(frozen=True)
class NationalResult:
    code: str
    name: str


@dataclass(frozen=True)
class NationalAgency:
    code: str
    name: str


@dataclass(frozen=True)
class NationalProcedure:
    national_code: str
    name: str
    field: str
    time_limit_value: int
    time_limit_unit: str  # working_days, calendar_days, working_hours
    fees: tuple[NationalFee, ...]
    components: tuple[NationalComponent, ...]
    results: tuple[NationalResult, ...]
    agencies: tuple[NationalAgency, ...]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _int(value: Any, *, what: str, code: str, grouped: bool = False) -> int | None:
    """A whole number, or None when empty; `grouped`: thousands separators allowed (amounts, "1.500.000")."""
    text = _text(value)
    if grouped:
        text = text.replace(".", "").replace(",", "")
    if not text:
        return None
    if not text.isdigit():
        raise CatalogueWireError(f"Thủ tục {code}: {what} “{value}” không phải số nguyên")
    return int(text)


def _timing(item: dict[str, Any], code: str) -> dict[str, Any]:
    channels = [c for c in item.get("CACHTHUCTHUCHIEN") or [] if isinstance(c, dict) and c.get("THOIGIAN")]
    if not channels:
        raise CatalogueWireError(f"Thủ tục {code}: không có thời hạn giải quyết (CACHTHUCTHUCHIEN)")
    chosen = next((c for c in channels if _text(c.get("KENH")) == "1"), channels[0])
    timing = chosen["THOIGIAN"][0]
    if not isinstance(timing, dict):
        raise CatalogueWireError(f"Thủ tục {code}: THOIGIAN không hợp lệ")
    return timing


def parse_procedure(reply: dict[str, Any]) -> NationalProcedure:
    """The procedure of a `LayThuTuc` reply; CatalogueWireError when it cannot be read."""
    item = reply.get("result")
    if not isinstance(item, dict):
        raise CatalogueWireError("Trả lời LayThuTuc không có thông tin thủ tục (result)")
    code = _text(item.get("MATTHC"))
    if not code or not _text(item.get("TENTTHC")):
        raise CatalogueWireError("Trả lời LayThuTuc thiếu MATTHC hoặc TENTTHC")
    timing = _timing(item, code)
    unit_word = _text(timing.get("DONVITINH"))
    unit = UNITS.get(unit_word.lower())
    if unit is None:
        raise CatalogueWireError(f"Thủ tục {code}: đơn vị thời gian “{unit_word}” chưa được hỗ trợ")
    value = _int(timing.get("THOIGIANGIAIQUYET"), what="thời hạn giải quyết", code=code)
    if value is None or value < 1:
        raise CatalogueWireError(f"Thủ tục {code}: thiếu thời hạn giải quyết")
    fees = tuple(NationalFee(name=_text(f.get("TENPHILEPHI")), description=_text(f.get("MOTA")),
                             amount=_int(f.get("SOTIEN"), what="mức phí", code=code, grouped=True))
                 for f in timing.get("PHILEPHI") or [])
    components = tuple(NationalComponent(code=_text(c.get("MAGIAYTO")), name=_text(c.get("TENGIAYTO")),
                                         originals=_int(c.get("SOBANCHINH"), what="số bản chính", code=code) or 0,
                                         copies=_int(c.get("SOBANSAO"), what="số bản sao", code=code) or 0)
                       for c in item.get("THANHPHANHOSO") or [])
    results = tuple(NationalResult(code=_text(r.get("MAKETQUA")), name=_text(r.get("TENKETQUA")))
                    for r in item.get("KETQUATHUCHIEN") or [])
    agencies = tuple(NationalAgency(code=_text(a.get("MADONVI")), name=_text(a.get("TENDONVI")))
                     for a in item.get("COQUANTHUCHIEN") or [])
    return NationalProcedure(national_code=code, name=_text(item["TENTTHC"]), field=_text(item.get("TENLINHVUC")),
                             time_limit_value=value, time_limit_unit=unit, fees=fees, components=components,
                             results=results, agencies=agencies)
