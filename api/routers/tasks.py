"""Officials' tasks: list by scope, detail, claim, unclaim, complete with form data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.auth import ActorDep
from api.deps import DomainDep, EngineDep, SessionDep
from api.params import StatusFilter
from workflows.core.schemas import Page
from workflows.tasks import handover, service
from workflows.tasks.schemas import CompleteIn, CompleteOut, ReassignIn, TaskCounts, TaskOut

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Sai vai trò hoặc đơn vị"},
    404: {"description": "Không tìm thấy công việc"},
    409: {"description": "Công việc đã hoàn thành / đã có người nhận"},
}


@router.get("", response_model=Page[TaskOut], responses=ERRORS, summary="Danh sách công việc")
def list_tasks(
    session: SessionDep, actor: ActorDep, domain: DomainDep,
    scope: Literal["mine", "candidate", "all"] = "mine",
    procedure_code: Annotated[str | None, Query(max_length=64)] = None,
    status_: StatusFilter = None,
    due_before: datetime | None = None,
    overdue: bool | None = None,
    sort: Literal["due_at"] = "due_at",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[TaskOut]:
    items, total = service.list_tasks(session, actor=actor, now=domain.clock.now(), scope=scope,
                                      procedure_code=procedure_code, status=status_, due_before=due_before,
                                      overdue=overdue, page=page, page_size=page_size, services=domain)
    return Page[TaskOut](items=items, total=total, page=page, page_size=page_size)


@router.get("/counts", response_model=TaskCounts, responses=ERRORS,
            summary="Số công việc của từng thẻ (của tôi, chờ nhận, của phòng) và số quá hạn")
def count_tasks(
    session: SessionDep, actor: ActorDep, domain: DomainDep,
    procedure_code: Annotated[str | None, Query(max_length=64)] = None,
    status_: StatusFilter = None,
) -> TaskCounts:
    return service.counts(session, actor=actor, now=domain.clock.now(), procedure_code=procedure_code,
                          status=status_)


@router.get("/{task_id}", response_model=TaskOut, responses=ERRORS, summary="Chi tiết công việc")
def get_task(task_id: str, session: SessionDep, actor: ActorDep, domain: DomainDep) -> TaskOut:
    return service.get_task(session, actor=actor, task_id=task_id, now=domain.clock.now())


@router.post("/{task_id}/claim", response_model=TaskOut, responses=ERRORS, summary="Nhận xử lý công việc")
def claim(task_id: str, session: SessionDep, actor: ActorDep, domain: DomainDep) -> TaskOut:
    return service.claim(session, actor=actor, task_id=task_id, now=domain.clock.now())


@router.post("/{task_id}/unclaim", response_model=TaskOut, responses=ERRORS, summary="Trả lại công việc")
def unclaim(task_id: str, session: SessionDep, actor: ActorDep, domain: DomainDep) -> TaskOut:
    return service.unclaim(session, actor=actor, task_id=task_id, now=domain.clock.now())


@router.post("/{task_id}/complete", response_model=CompleteOut,
             responses={**ERRORS, 422: {"description": "Dữ liệu biểu mẫu không hợp lệ"}},
             summary="Hoàn thành công việc với dữ liệu biểu mẫu")
def complete(task_id: str, body: CompleteIn, session: SessionDep, actor: ActorDep, engine: EngineDep,
             domain: DomainDep) -> CompleteOut:
    return service.complete(session, engine=engine, services=domain, actor=actor, task_id=task_id,
                            data=body.data, expected_version=body.expected_version)


@router.post("/{task_id}/reassign", response_model=TaskOut,
             responses={**ERRORS, 422: {"description": "Cán bộ nhận (to_official) hoặc lý do (reason) không hợp lệ"}},
             summary="Giao lại công việc cho cán bộ khác (lãnh đạo đơn vị thực hiện bước)")
def reassign(task_id: str, body: ReassignIn, session: SessionDep, actor: ActorDep, domain: DomainDep) -> TaskOut:
    now = domain.clock.now()
    item, dossier = handover.reassign(session, actor=actor, task_id=task_id, to_official=body.to_official,
                                      reason=body.reason, now=now)
    return service.to_out(item, dossier, now=now)
