"""The province's agencies (issue 20).

    GET  /api/v1/agencies                 the tree, parents first (public: names, addresses and phones of
                                          public bodies)
    GET  /api/v1/agencies/{code}          one agency
    POST /api/v1/admin/agencies/import    a CSV of agencies, all rows or none (QUAN_TRI)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from api.auth import Admin
from api.deps import ClockDep, SessionDep
from workflows import audit
from workflows.agencies import service as agencies
from workflows.agencies.schemas import AgencyOut, ImportOut
from workflows.core.errors import PayloadTooLarge, ValidationFailed
from workflows.core.schemas import Page

router = APIRouter(tags=["agencies"])
MAX_CSV_BYTES = 512 * 1024


@router.get("/api/v1/agencies", response_model=Page[AgencyOut], summary="Danh sách cơ quan, đơn vị của tỉnh")
def list_agencies(session: SessionDep,
                  kind: Annotated[str | None, Query(description="Loại cơ quan (so, ubnd_xa, …)")] = None,
                  include_closed: Annotated[bool, Query(description="Kể cả cơ quan đã giải thể")] = True,
                  ) -> Page[AgencyOut]:
    items = agencies.list_agencies(session, include_closed=include_closed, kind=kind)
    return Page[AgencyOut].whole([AgencyOut.of(a) for a in items])


@router.get("/api/v1/agencies/{code}", response_model=AgencyOut, summary="Một cơ quan, đơn vị")
def get_agency(code: str, session: SessionDep) -> AgencyOut:
    return AgencyOut.of(agencies.get_agency(session, code=code))


@router.post("/api/v1/admin/agencies/import", response_model=ImportOut,
             responses={422: {"description": "Có dòng không hợp lệ (`errors` nêu dòng và cột): không nhập dòng nào"}},
             summary="Nhập danh sách cơ quan từ tệp CSV (QUAN_TRI)")
def import_agencies(session: SessionDep, admin: Admin, clock: ClockDep,
                    file: Annotated[UploadFile, File(description="CSV UTF-8: " + ",".join(agencies.COLUMNS))],
                    ) -> ImportOut:
    content = file.file.read(MAX_CSV_BYTES + 1)
    if len(content) > MAX_CSV_BYTES:
        raise PayloadTooLarge("Tệp danh sách cơ quan quá lớn (tối đa 512 KB).")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("Tệp danh sách cơ quan phải là CSV mã hóa UTF-8.", errors=[
            {"field": "file", "message": "Tệp danh sách cơ quan: phải mã hóa UTF-8."}]) from None
    now = clock.now()
    result = agencies.import_rows(session, rows=agencies.parse_csv(text), now=now)
    audit.record(session, actor=admin.username, action="agencies.import", at=now,
                 data={"created": len(result.created), "updated": len(result.updated)})
    return ImportOut(created=result.created, updated=result.updated)
