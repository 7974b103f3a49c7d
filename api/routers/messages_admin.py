"""Administrators' view of the messages to citizens (issue 18, "Failed messages"): list them by state with
the reason, and send again one or all of a state once the cause is fixed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Admin
from api.deps import ClockDep, SessionDep
from workflows.core.schemas import Page
from workflows.notifications import queries, resend
from workflows.notifications.schemas import MessageState, OutboxMessageOut, ResendAllIn, ResendAllOut

router = APIRouter(prefix="/api/v1/admin/messages", tags=["administration"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Cần vai trò Quản trị hệ thống"},
    422: {"description": "Dữ liệu không hợp lệ"},
}


@router.get("", response_model=Page[OutboxMessageOut], responses=ERRORS,
            summary="Tin nhắn theo trạng thái (chờ gửi, gửi thất bại, không đến được người nhận, đã gửi)")
def list_messages(
    session: SessionDep, admin: Admin, state: MessageState,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[OutboxMessageOut]:
    items, total = queries.list_messages(session, state=state, page=page, page_size=page_size)
    return Page[OutboxMessageOut](items=items, total=total, page=page, page_size=page_size)


@router.post("/resend", response_model=ResendAllOut, responses=ERRORS,
             summary="Gửi lại mọi tin nhắn của một trạng thái (sau khi đã khắc phục nguyên nhân)")
def resend_all(body: ResendAllIn, session: SessionDep, admin: Admin, clock: ClockDep) -> ResendAllOut:
    return resend.resend_all(session, state=body.state, actor=admin.username, now=clock.now())


@router.post("/{message_id}/resend", response_model=OutboxMessageOut,
             responses={**ERRORS, 404: {"description": "Không tìm thấy tin nhắn (message_not_found)"},
                        409: {"description": "Tin nhắn đã gửi hoặc đang gửi (message_already_sent, "
                                             "message_in_flight)"}},
             summary="Gửi lại một tin nhắn (sau khi đã khắc phục nguyên nhân)")
def resend_one(message_id: int, session: SessionDep, admin: Admin, clock: ClockDep) -> OutboxMessageOut:
    return resend.resend_one(session, message_id=message_id, actor=admin.username, now=clock.now())
