"""Catalogue services of the national procedure database (CSDLQG về TTHC) under the share endpoint:
`LayThuTuc` (param `maTTHC`) and `LayDanhSachTTHC` (NATIONAL_PORTAL.md §1.2), served from the fixtures in
`data/thu_tuc.json`, in the OCPS field shape:

    TENTTHC, MATTHC, MALINHVUC, TENLINHVUC,
    CACHTHUCTHUCHIEN[{KENH, THOIGIAN[{THOIGIANGIAIQUYET, DONVITINH,
                                       PHILEPHI[{MAPHILEPHI, TENPHILEPHI, SOTIEN, MOTA}]}]}],
    THANHPHANHOSO[{MAGIAYTO, TENGIAYTO, SOBANCHINH, SOBANSAO}], KETQUATHUCHIEN[{MAKETQUA, TENKETQUA}],
    COQUANTHUCHIEN[{MADONVI, TENDONVI}]

The keys inside PHILEPHI and THANHPHANHOSO and the reply's envelope (`result`) are the emulator's reading
(**unconfirmed**). The fixtures describe our catalogue (workflows/procedures/data) with the differences a
refresh should show: VHTTDL-LUU-TRU-1-3-SAO has 20 working days instead of 30 days, a 3-star fee of
2,500,000 and a second result code; 1.000501 (tennis) lists a fourth component. Only `1.000501` is a known
national code; the `CHUA-XAC-MINH.*` codes are placeholders (mã TTHC chưa xác minh).

Test hook: `POST {prefix}/catalogue` with one procedure (a LayThuTuc item) replaces or adds it by MATTHC;
`POST {prefix}/catalogue/reset` restores the fixtures.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from connectors.dvcqg.emulator.state import EmulatorState, EmuRefusal

FIXTURES = Path(__file__).parent / "data" / "thu_tuc.json"
_KEY = "catalogue"


def load_fixtures() -> dict[str, dict[str, Any]]:
    items = json.loads(FIXTURES.read_text(encoding="utf-8"))
    return {item["MATTHC"]: item for item in items}


def _catalogue(state: EmulatorState) -> dict[str, dict[str, Any]]:
    with state.lock:
        return state.extra.setdefault(_KEY, load_fixtures())  # type: ignore[no-any-return]


def lay_thu_tuc(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    code = str(body.get("maTTHC") or "").strip()
    if not code:
        raise EmuRefusal("-1", "Thiếu tham số maTTHC")
    with state.lock:
        item = _catalogue(state).get(code)
        item = copy.deepcopy(item) if item is not None else None
    if item is None:
        raise EmuRefusal("-1", f"Không tìm thấy thủ tục hành chính có mã {code}")
    return {"message": "Thành công", "result": item}


def lay_danh_sach_tthc(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    with state.lock:
        items = [{"MATTHC": i["MATTHC"], "TENTTHC": i["TENTTHC"], "MALINHVUC": i.get("MALINHVUC", ""),
                  "TENLINHVUC": i.get("TENLINHVUC", "")} for i in _catalogue(state).values()]
    return {"message": "Thành công", "result": items}


def register(state: EmulatorState) -> None:
    """Register the catalogue handlers in `state.share_services`."""
    state.share_services.update({"LayThuTuc": lay_thu_tuc, "LayDanhSachTTHC": lay_danh_sach_tthc})


def routes(state: EmulatorState) -> APIRouter:
    router = APIRouter()

    @router.post("/catalogue")
    async def replace(item: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008
        code = item.get("MATTHC")
        if not isinstance(code, str) or not code:
            return JSONResponse({"detail": "MATTHC is required"}, status_code=422)
        with state.lock:
            _catalogue(state)[code] = copy.deepcopy(item)
        return JSONResponse({"MATTHC": code})

    @router.post("/catalogue/reset")
    async def reset() -> dict[str, Any]:
        with state.lock:
            state.extra[_KEY] = load_fixtures()
        return {"reset": True}

    return router
