"""Dossiers citizens submit on DVCQG, pushed to us by the national portal's adapter (NATIONAL_PORTAL.md §2).

    POST /api/v1/dvcqg/dossiers                      a new online dossier (acknowledged at once)
    POST /api/v1/dvcqg/dossiers/{code}/supplements   files of a supplement the citizen sent online

Caller: an API key with scope `dvcqg.push` (`X-API-Key`). Answers:
- HTTP 200 with DVCQG's form `{"error_code": "0", "message": …}` when accepted (also when the same push comes
  again: nothing is duplicated), or `{"error_code": "-1", "message": …, "errors": [{field, message}]}` when
  refused (nothing written); the adapter reads `error_code`, as OCPS does.
- HTTP 401 without a valid key, 403 for a key without the scope, 413 for a body over the bound (problem+json,
  like every other route); a body that is not JSON is 422 problem+json.

The routes are sync on purpose: FastAPI runs them in a worker thread, so fetching the files' links — which
the development emulator serves from this same server — never blocks the event loop.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from api.auth import require_actor
from api.deps import DomainDep, EngineDep, SessionDep
from connectors.dvcqg import inbound
from workflows.core.errors import NotFound, ValidationFailed
from workflows.dossiers import online
from workflows.identity.actor import Actor

router = APIRouter(prefix="/api/v1/dvcqg", tags=["dvcqg"])
Adapter = Annotated[Actor, Depends(require_actor(scopes=("dvcqg.push",)))]
MAX_PUSH_BYTES = 60 * 1024 * 1024  # files may come inline (base64); `settings.dvcqg.inbound.max_file_bytes` each
FETCH_TIMEOUT_SECONDS = 10.0

PUSH_EXAMPLE = {
    "MaHoSo": "000.00.22.H60-261124-0001", "MaTTHC": "1.000501", "ChuHoSo": "Nguyễn Văn An", "LoaiDoiTuong": "1",
    "MaDoiTuong": "TECH-0001", "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "001089012345"}],
    "SoDienThoai": "0912345678", "NgayNopHoSo": "20261124090000", "TaiKhoanDuocXacThucVoiVNeID": "1",
    "DongYNhanThongBaoZalo": "1", "TaiLieuNop": [{"TenTepDinhKem": "don.pdf", "MaThanhPhanHoSo": "TP1",
                                                   "DuongDanTaiTepTin": "https://dichvucong.gov.vn/files/abc"}],
}


class PushIn(BaseModel):
    """Any JSON object: the fields are read and checked by `connectors/dvcqg/inbound.py`, so that a refusal
    answers in DVCQG's form naming DVCQG's field names (docs/DVCQG_ONLINE.md)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [PUSH_EXAMPLE]})


class SupplementIn(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "NoiDungBoSung": "Bổ sung bản sao giấy phép", "NgayNopHoSo": "20261126100000",
        "TaiLieuNop": [{"TenTepDinhKem": "giay-phep.pdf", "DuongDanTaiTepTin": "https://dichvucong.gov.vn/files/d"}]}]})


RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "`error_code` \"0\" (tiếp nhận) hoặc \"-1\" (từ chối, kèm `errors`)"},
    401: {"description": "Thiếu hoặc sai khóa API"}, 403: {"description": "Khóa API không có phạm vi dvcqg.push"},
    413: {"description": "Dữ liệu quá lớn"},
}


@router.post("/dossiers", responses=RESPONSES, summary="DVCQG đẩy hồ sơ nộp trực tuyến (adapter)")
def push_dossier(body: PushIn, session: SessionDep, actor: Adapter, engine: EngineDep,
                 domain: DomainDep) -> dict[str, Any]:
    inbound_settings = domain.settings.dvcqg.inbound
    fetch = partial(inbound.fetch_file, max_bytes=inbound_settings.max_file_bytes, timeout=FETCH_TIMEOUT_SECONDS)
    try:
        submission = inbound.parse_submission(body.model_dump())
        received = online.receive_online(session, engine=engine, services=domain, submission=submission,
                                         actor=actor, fetch=fetch, department_code=inbound_settings.department_code)
    except inbound.PushRefused as exc:
        return inbound.reply_refused(exc.message, exc.errors)
    except (ValidationFailed, NotFound) as exc:
        session.rollback()
        return inbound.reply_refused(exc.detail, exc.errors)
    code = received.dossier.code
    return inbound.reply_ok(f"Tiếp nhận thành công hồ sơ {code}" if received.created
                            else f"Hồ sơ {code} đã được tiếp nhận trước đó (thành công)")


@router.post("/dossiers/{code}/supplements", responses=RESPONSES,
             summary="DVCQG đẩy hồ sơ bổ sung công dân nộp trực tuyến (adapter)")
def push_supplement(code: str, body: SupplementIn, session: SessionDep, actor: Adapter,
                    engine: EngineDep, domain: DomainDep) -> dict[str, Any]:
    inbound_settings = domain.settings.dvcqg.inbound
    fetch = partial(inbound.fetch_file, max_bytes=inbound_settings.max_file_bytes, timeout=FETCH_TIMEOUT_SECONDS)
    try:
        supplement = inbound.parse_supplement(code, body.model_dump())
        dossier = online.receive_supplement(session, engine=engine, services=domain, supplement=supplement,
                                            actor=actor, fetch=fetch)
    except inbound.PushRefused as exc:
        return inbound.reply_refused(exc.message, exc.errors)
    except (ValidationFailed, NotFound) as exc:
        session.rollback()
        return inbound.reply_refused(exc.detail, exc.errors)
    return inbound.reply_ok(f"Tiếp nhận thành công hồ sơ bổ sung của hồ sơ {dossier.code}")
