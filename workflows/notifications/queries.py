"""Reading the outbox for administrators: messages by state (masked, without their text) and the count of
each state (the metrics)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func
from sqlmodel import Session, col, select

from connectors.outbox import DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage
from workflows.notifications.schemas import MessageState, OutboxMessageOut
from workflows.privacy import mask_text

# The outbox statuses behind each state administrators see.
STATUSES: Mapping[MessageState, tuple[str, ...]] = {
    MessageState.WAITING: (PENDING, SENDING),
    MessageState.DEAD: (DEAD,),
    MessageState.UNREACHABLE: (UNREACHABLE,),
    MessageState.SENT: (SENT,),
}
STATE_OF: Mapping[str, MessageState] = {status: state for state, statuses in STATUSES.items()
                                        for status in statuses}
KEPT = 3  # characters of a recipient's reference left readable


def mask_recipient(ref: str) -> str:
    """`zalo:1234567890123456789` → `zalo:****************789`: the kind of recipient stays, of its key
    (a Zalo user id, a dossier code, a case id) only the last characters, so no id is shown in clear."""
    kind, _, key = ref.partition(":")
    if not key:
        kind, key = "", ref
    masked = "*" * len(key) if len(key) <= KEPT else "*" * (len(key) - KEPT) + key[-KEPT:]
    return f"{kind}:{masked}" if kind else masked


def message_out(message: OutboxMessage) -> OutboxMessageOut:
    """The row as administrators read it; any phone- or ID-like number in the reason is masked."""
    return OutboxMessageOut(
        id=message.id or 0, state=STATE_OF[message.status], status=message.status, kind=message.kind,
        event=str((message.payload or {}).get("event") or ""), subject=message.subject_ref,
        recipient=mask_recipient(message.recipient_ref),
        reason=mask_text(message.last_error) if message.last_error else None, attempts=message.attempts,
        created_at=message.created_at, next_attempt_at=message.next_attempt_at,
        last_attempt_at=message.last_attempt_at, sent_at=message.sent_at, tracking_id=message.tracking_id,
        provider_message_id=message.provider_message_id, delivered_at=message.delivered_at,
        seen_at=message.seen_at)


def list_messages(
    session: Session, *, state: MessageState, page: int, page_size: int,
) -> tuple[list[OutboxMessageOut], int]:
    """One page of the messages in `state`, newest first, and how many there are in all."""
    in_state = col(OutboxMessage.status).in_(STATUSES[state]) & (OutboxMessage.channel == "zalo")  # DVCQG: its own
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(in_state)).one()
    rows = session.exec(select(OutboxMessage).where(in_state).order_by(col(OutboxMessage.id).desc())
                        .offset((page - 1) * page_size).limit(page_size)).all()
    return [message_out(row) for row in rows], int(total)


def counts_by_state(session: Session) -> dict[MessageState, int]:
    """How many messages are in each state (every state, zero included)."""
    counts = dict.fromkeys(MessageState, 0)
    grouped = session.exec(select(OutboxMessage.status, func.count()).where(OutboxMessage.channel == "zalo")
                           .group_by(col(OutboxMessage.status))).all()
    for status, count in grouped:
        if status in STATE_OF:
            counts[STATE_OF[status]] += int(count)
    return counts
