"""The audit trail for supervisors (issue 23 item 3): who read, revealed, changed or sent what, when."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import require_roles
from api.deps import DomainDep, SessionDep
from workflows.core.schemas import Page
from workflows.dossiers import audit_trail
from workflows.dossiers.schemas import AuditEntryOut
from workflows.identity.actor import Actor
from workflows.identity.models import Role

router = APIRouter(prefix="/api/v1/audit", tags=["dossiers"])

# The agency's supervisor (its dossiers and officials) and the province's (everything); they also act as
# the data-protection officer (docs/OPERATIONS.md, "The audit trail").
Supervisor = Annotated[Actor, Depends(require_roles(Role.GIAM_SAT, Role.GIAM_SAT_TINH))]


@router.get("", response_model=Page[AuditEntryOut], responses={
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Chỉ giám sát (cơ quan, toàn tỉnh)"},
    422: {"description": "Khoảng thời gian không hợp lệ (to)"}},
    summary="Nhật ký truy cập và xử lý: ai đã xem, xem đầy đủ, thay đổi, gửi gì về hồ sơ")
def search(
    session: SessionDep, actor: Supervisor, domain: DomainDep,
    dossier_code: Annotated[str | None, Query(max_length=64, description="Mã hồ sơ")] = None,
    official: Annotated[str | None, Query(max_length=64, description="Tên đăng nhập của cán bộ")] = None,
    action: Annotated[str | None, Query(max_length=64, description="Hành động (task.complete) hoặc nhóm (task)")]
    = None,
    from_: Annotated[date | None, Query(alias="from", description="Từ ngày (YYYY-MM-DD, giờ Việt Nam)")] = None,
    to: Annotated[date | None, Query(description="Đến ngày (YYYY-MM-DD, giờ Việt Nam)")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditEntryOut]:
    items, total = audit_trail.search(session, actor=actor, now=domain.clock.now(), dossier_code=dossier_code,
                                      official=official, action=action, start=from_, end=to, page=page,
                                      page_size=page_size)
    return Page[AuditEntryOut](items=items, total=total, page=page, page_size=page_size)
