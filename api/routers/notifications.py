"""Officials' in-app notifications (reminders of due and late steps, apology due); the scheduler's state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth import CurrentOfficial, require_roles
from api.deps import ClockDep, SessionDep, WiringDep
from workflows.identity.actor import Actor
from workflows.identity.models import Role
from workflows.reminders import service
from workflows.reminders.schemas import NotificationOut, NotificationPage

router = APIRouter(prefix="/api/v1", tags=["notifications"])

ERRORS: dict[int | str, dict[str, object]] = {401: {"description": "Chưa đăng nhập"}}


@router.get("/notifications", response_model=NotificationPage, responses=ERRORS,
            summary="Thông báo của tôi (nhắc hạn, quá hạn, xin lỗi)")
def list_notifications(
    session: SessionDep, official: CurrentOfficial,
    unread: bool = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationPage:
    """The calling official's notifications, newest first; `unread=true` leaves out those already read."""
    assert official.id is not None
    rows, total = service.list_notifications(session, official_id=official.id, unread=unread, page=page,
                                             page_size=page_size)
    return NotificationPage(items=[NotificationOut.of(r) for r in rows], total=total, page=page,
                                 page_size=page_size)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut,
             responses={**ERRORS, 404: {"description": "Không tìm thấy thông báo"}},
             summary="Đánh dấu đã đọc")
def mark_read(notification_id: int, session: SessionDep, official: CurrentOfficial,
              clock: ClockDep) -> NotificationOut:
    assert official.id is not None
    row = service.mark_read(session, official_id=official.id, notification_id=notification_id,
                            now=clock.now())
    return NotificationOut.of(row)


Supervisor = Annotated[Actor, Depends(require_roles(Role.QUAN_TRI, Role.GIAM_SAT))]


@router.get("/admin/scheduler", responses={**ERRORS, 403: {"description": "Cần vai trò Quản trị / Giám sát"}},
            summary="Trạng thái bộ lập lịch: lần chạy gần nhất của từng việc, số việc đến hạn còn tồn")
def scheduler_state(wiring: WiringDep, session: SessionDep, _: Supervisor) -> dict[str, Any]:
    # End the request's transaction first: the backlog is counted in sessions of its own, and on SQLite
    # every transaction holds the write lock, so they would wait for this one (30 s each, 90 s in all).
    session.commit()
    return wiring.scheduler_state()
