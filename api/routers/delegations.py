"""An official's delegations of their tasks while away (issue 23 item 1): give, list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import require_roles
from api.deps import DomainDep, SessionDep
from workflows.core.schemas import Page
from workflows.identity.actor import Actor
from workflows.tasks import handover
from workflows.tasks.schemas import DelegationIn, DelegationOut

router = APIRouter(prefix="/api/v1/me/delegations", tags=["tasks"])

# Those who hold tasks: the roles of the process lanes (a supervisor or an administrator has none to give).
Worker = Annotated[Actor, Depends(require_roles(*handover.WORKING_ROLES))]
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Vai trò không có công việc để ủy quyền"},
}


def _out(session: SessionDep, delegation: handover.Delegation, domain: DomainDep) -> DelegationOut:
    return DelegationOut(**vars(handover.view(session, delegation, now=domain.clock.now())))


@router.post("", status_code=201, response_model=DelegationOut, responses={
    **ERRORS, 409: {"description": "Đã có ủy quyền trong một phần khoảng thời gian (delegation_overlaps)"},
    422: {"description": "Người được ủy quyền (delegate), ngày (starts_on, ends_on) hoặc lý do không hợp lệ"}},
    summary="Ủy quyền công việc của mình cho cán bộ khác trong thời gian vắng mặt")
def create(body: DelegationIn, session: SessionDep, actor: Worker, domain: DomainDep) -> DelegationOut:
    delegation = handover.create_delegation(session, actor=actor, delegate=body.delegate, starts_on=body.starts_on,
                                            ends_on=body.ends_on, reason=body.reason, now=domain.clock.now())
    return _out(session, delegation, domain)


@router.get("", response_model=Page[DelegationOut], responses=ERRORS,
            summary="Các ủy quyền đã giao và đã nhận")
def list_delegations(session: SessionDep, actor: Worker, domain: DomainDep) -> Page[DelegationOut]:
    return Page[DelegationOut].whole([_out(session, d, domain)
                                      for d in handover.list_delegations(session, actor=actor)])


@router.delete("/{delegation_id}", response_model=DelegationOut, responses={
    **ERRORS, 404: {"description": "Không tìm thấy ủy quyền của mình"}, 409: {"description": "Ủy quyền đã kết thúc"}},
    summary="Thu hồi ủy quyền (chấm dứt ngay)")
def revoke(delegation_id: int, session: SessionDep, actor: Worker, domain: DomainDep) -> DelegationOut:
    delegation = handover.revoke_delegation(session, actor=actor, delegation_id=delegation_id,
                                            now=domain.clock.now())
    return _out(session, delegation, domain)
