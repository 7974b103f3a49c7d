"""Sending failed messages again, an administrator's decision once the cause is fixed (Zalo granted again,
the template approved, the citizen reachable): the row goes back to pending, due now, with its attempts
from zero, and every requeued message is audited. A delivered message is never sent again."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from connectors.outbox import DEAD, PENDING, SENDING, UNREACHABLE, OutboxMessage, requeue_where
from workflows import audit
from workflows.core.errors import Conflict, NotFound
from workflows.notifications.queries import STATE_OF, STATUSES, message_out
from workflows.notifications.schemas import MessageState, OutboxMessageOut, ResendAllOut, ResendState

RESENDABLE = (PENDING, DEAD, UNREACHABLE)  # `sending` is in flight, `sent` delivered: neither is resent
ACTION = "outbox.resend"

ALREADY_SENT = "Tin nhắn đã được gửi đến người nhận; không gửi lại để tránh gửi trùng."
IN_FLIGHT = "Tin nhắn đang được gửi; vui lòng chờ kết quả rồi thử lại."


def resend_one(session: Session, *, message_id: int, actor: str, now: datetime) -> OutboxMessageOut:
    """Requeue message `message_id` (dead, unreachable, or waiting for a retry) in the caller's transaction
    and audit it; the message as it now stands. 404 when there is no such message; 409 when it is being
    sent right now (`message_in_flight`) or was sent (`message_already_sent`)."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("Không tìm thấy tin nhắn.", code="message_not_found")
    before = message.status
    if not requeue_where(session, statuses=RESENDABLE, now=now, message_id=message_id):
        session.refresh(message)  # the relay may have moved it since it was read
        if message.status == SENDING:
            raise Conflict(IN_FLIGHT, code="message_in_flight")
        raise Conflict(ALREADY_SENT, code="message_already_sent")
    _audit(session, actor=actor, now=now, message_id=message_id, state=STATE_OF[before].value,
           subject=message.subject_ref)
    session.refresh(message)
    return message_out(message)


def resend_all(session: Session, *, state: ResendState, actor: str, now: datetime) -> ResendAllOut:
    """Requeue every message in `state` (for `waiting`, those not in flight) in the caller's transaction,
    one audit entry per message; which were requeued."""
    statuses = tuple(s for s in STATUSES[MessageState(state.value)] if s != SENDING)
    ids = requeue_where(session, statuses=statuses, now=now, channel="zalo")
    subjects = dict(session.exec(select(OutboxMessage.id, OutboxMessage.subject_ref)
                                 .where(col(OutboxMessage.id).in_(ids))).all()) if ids else {}
    for message_id in ids:
        _audit(session, actor=actor, now=now, message_id=message_id, state=state.value,
               subject=subjects.get(message_id, ""))
    return ResendAllOut(state=state, resent=len(ids), ids=ids)


def _audit(session: Session, *, actor: str, now: datetime, message_id: int, state: str, subject: str) -> None:
    audit.record(session, actor=actor, action=ACTION, at=now,
                 data={"message_id": message_id, "state": state, "subject": subject})
