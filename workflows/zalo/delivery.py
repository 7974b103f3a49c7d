"""Zalo's delivery events recorded on the outbox message they name (ZALO_API.md §8.6, §9.8):
`user_received_message` (`message.msg_id`, `message.tracking_id`, `message.delivery_time`) sets
`delivered_at`; `user_seen_message` (`message.msg_ids`, or one `msg_id`) sets `seen_at` (and `delivered_at`
when the receipt never came). The first report wins: a retried event changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from connectors.outbox import OutboxMessage
from connectors.timeutil import from_epoch_ms
from connectors.zalo.webhook import WebhookEvent

RECEIVED, SEEN = "user_received_message", "user_seen_message"
DELIVERY_EVENTS = frozenset({RECEIVED, SEEN})


def record(session: Session, *, event: WebhookEvent) -> int:
    """Record one delivery event in the caller's transaction; how many messages it concerned."""
    message: dict[str, Any] = event.raw.get("message") if isinstance(event.raw.get("message"), dict) else {}
    at = _time(message.get("delivery_time")) or event.occurred_at
    if event.event_name == RECEIVED:
        rows = _by_tracking_id(session, str(message.get("tracking_id") or "")) or _by_msg_ids(
            session, [str(message.get("msg_id") or "")])
    else:
        ids = message.get("msg_ids") if isinstance(message.get("msg_ids"), list) else [message.get("msg_id")]
        rows = _by_msg_ids(session, [str(i) for i in ids if i])
    for row in rows:
        if row.delivered_at is None:
            row.delivered_at = at
        if event.event_name == SEEN and row.seen_at is None:
            row.seen_at = at
        session.add(row)
    session.flush()
    return len(rows)


def _by_tracking_id(session: Session, tracking_id: str) -> list[OutboxMessage]:
    if not tracking_id:
        return []
    row = session.exec(select(OutboxMessage).where(OutboxMessage.tracking_id == tracking_id)
                       .order_by(col(OutboxMessage.id).desc())).first()
    return [row] if row is not None else []


def _by_msg_ids(session: Session, msg_ids: list[str]) -> list[OutboxMessage]:
    ids = [i for i in msg_ids if i]
    if not ids:
        return []
    return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.provider_message_id).in_(ids))).all())


def _time(value: Any) -> datetime | None:
    try:
        return from_epoch_ms(value) if value not in (None, "", "0", 0) else None
    except (TypeError, ValueError, OverflowError):
        return None
