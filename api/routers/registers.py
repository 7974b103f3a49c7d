"""The department's register (Sổ theo dõi hồ sơ, Mẫu 07) and its on-time statistics for a period."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.auth import require_roles
from api.deps import DomainDep, SessionDep
from api.files import attachment
from workflows import statistics
from workflows.dossiers import registers
from workflows.identity.actor import Actor
from workflows.identity.models import Role

router = APIRouter(prefix="/api/v1/registers", tags=["dossiers"])

Registrar = Annotated[Actor, Depends(require_roles(Role.MOT_CUA, Role.LANH_DAO_PHONG, Role.GIAM_SAT))]
Supervisor = Annotated[Actor, Depends(require_roles(Role.LANH_DAO_PHONG, Role.GIAM_SAT, Role.LANH_DAO_SO,
                                                    Role.GIAM_SAT_TINH))]


@router.get("/mau-07", response_class=Response, responses={200: {"content": {"application/pdf": {}}}},
            summary="Sổ theo dõi hồ sơ (Mẫu 07) của phòng trong một khoảng thời gian")
def register(session: SessionDep, actor: Registrar, domain: DomainDep,
             from_: Annotated[date, Query(alias="from", description="Từ ngày (YYYY-MM-DD)")],
             to: Annotated[date, Query(description="Đến ngày (YYYY-MM-DD)")]) -> Response:
    content = registers.register(session, actor=actor, services=domain, start=from_, end=to)
    return Response(content, media_type="application/pdf",
                    headers=attachment(f"so-theo-doi-{from_}-{to}.pdf"))


@router.get("/statistics", response_model=statistics.Report,
            summary="Thống kê đúng hạn theo Bộ chỉ số 766 theo cơ quan, thủ tục (phòng; cơ quan; toàn tỉnh)")
def statistics_report(session: SessionDep, actor: Supervisor, domain: DomainDep,
                      from_: Annotated[date, Query(alias="from", description="Từ ngày (YYYY-MM-DD)")],
                      to: Annotated[date, Query(description="Đến ngày (YYYY-MM-DD)")],
                      agency: Annotated[str | None, Query(max_length=40, description="Chỉ một cơ quan giải quyết")]
                      = None) -> statistics.Report:
    return statistics.report(session, actor=actor, services=domain, start=from_, end=to, agency_code=agency)
