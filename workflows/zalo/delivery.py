"""Zalo's delivery events recorded on the outbox message they name (ZALO_API.md §8.6, §9.8):
`user_received_message` (`message.msg_id`, `message.tracking_id`, `message.delivery_time`) sets
`delivered_at`; `user_seen_message` (`message.msg_ids`, or one `msg_id`) sets `seen_at` (and `delivered_at`
when the receipt never came). The first report wins: a retried event changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select, update

from connectors.outbox import OutboxMessage
from connectors.timeutil import from_epoch_ms
from connectors.zalo.webhook import WebhookEvent

RECEIVED, SEEN = "user_received_message", "user_seen_message"
DELIVERY_EVENTS = frozenset({RECEIVED, SEEN})


def record(session: Session, *, event: WebhookEvent) -> int:
    """Record one delivery event in the caller's transaction; how many messages it concerned. Each lookup
    is one UPDATE … RETURNING (every message the OA sends comes back as a receipt: no row is loaded)."""
    message: dict[str, Any] = event.raw.get("message") if isinstance(event.raw.get("message"), dict) else {}
    at = _time(message.get("delivery_time")) or event.occurred_at
    if event.event_name == RECEIVED:
        return _by_tracking_id(session, str(message.get("tracking_id") or ""), at=at) or _by_msg_ids(
            session, [str(message.get("msg_id") or "")], at=at, seen=False)
    ids = message.get("msg_ids") if isinstance(message.get("msg_ids"), list) else [message.get("msg_id")]
    return _by_msg_ids(session, [str(i) for i in ids if i], at=at, seen=True)


def _by_tracking_id(session: Session, tracking_id: str, *, at: datetime) -> int:
    if not tracking_id:
        return 0
    latest = (select(func.max(OutboxMessage.id)).where(OutboxMessage.tracking_id == tracking_id)
              .scalar_subquery())
    return _mark(session, col(OutboxMessage.id) == latest, at=at, seen=False)


def _by_msg_ids(session: Session, msg_ids: list[str], *, at: datetime, seen: bool) -> int:
    ids = [i for i in msg_ids if i]
    if not ids:
        return 0
    return _mark(session, col(OutboxMessage.provider_message_id).in_(ids), at=at, seen=seen)


def _mark(session: Session, where: Any, *, at: datetime, seen: bool) -> int:
    """The first report wins: a time already recorded stays."""
    values: dict[str, Any] = {"delivered_at": func.coalesce(OutboxMessage.delivered_at, at)}
    if seen:
        values["seen_at"] = func.coalesce(OutboxMessage.seen_at, at)
    marked = session.execute(update(OutboxMessage).where(where).values(**values)
                             .returning(col(OutboxMessage.id)).execution_options(synchronize_session=False))
    return len(marked.all())


def _time(value: Any) -> datetime | None:
    try:
        return from_epoch_ms(value) if value not in (None, "", "0", 0) else None
    except (TypeError, ValueError, OverflowError):
        return None
