"""Inbound Zalo webhooks: signature (ZALO_API.md §8.4), parsing (§8.5–8.6), replay protection.

The receiver of a delivery does, in order: read the raw bytes; `parse_event(raw)`; `verify_signature(...)`
with the event's `timestamp` string; `is_fresh(...)`; `record_event(session, ...)` (False = already seen,
answer 200 and stop); `apply_event(session, ...)` to keep `zalo_user` current; then the domain's own handling.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, delete

from connectors.timeutil import from_epoch_ms, utc
from connectors.zalo.users import ZaloUser, record_user

# Zalo retries a failed delivery for up to ~12 h (§8.3); older events are refused as replays.
DEFAULT_MAX_AGE = timedelta(hours=13)
DEFAULT_MAX_FUTURE = timedelta(minutes=5)


def verify_signature(*, app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str,
                     signature_header: str) -> bool:
    """`X-ZEvent-Signature` = `mac=` + hex SHA-256(app_id + raw body + timestamp + OA secret key).

    Plain SHA-256 of the concatenation (not HMAC), over the exact bytes received; the `mac=` prefix is
    optional; compared in constant time.
    """
    if not signature_header or not timestamp:
        return False
    given = signature_header.strip()
    if given.lower().startswith("mac="):
        given = given[4:]
    expected = sign(app_id=app_id, raw_body=raw_body, timestamp=timestamp, oa_secret_key=oa_secret_key)
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def sign(*, app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The lowercase hex digest Zalo puts after `mac=`."""
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(raw_body)
    digest.update(timestamp.encode())
    digest.update(oa_secret_key.encode())
    return digest.hexdigest()


# --- events -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookEvent:
    """Common part of every event. `user_id` is the OA-scoped user id; `key` is the dedupe key."""

    event_name: str
    timestamp: str
    occurred_at: datetime
    user_id: str | None
    key: str
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Follow(WebhookEvent):
    source: str | None = None


@dataclass(frozen=True)
class Unfollow(WebhookEvent):
    pass


@dataclass(frozen=True)
class UserSendText(WebhookEvent):
    msg_id: str = ""
    text: str = ""


@dataclass(frozen=True)
class UserSubmitInfo(WebhookEvent):
    name: str | None = None
    phone_84: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class OtherEvent(WebhookEvent):
    """Any event this project does not handle (it is still deduplicated and acknowledged)."""


def parse_event(raw_body: bytes, *, phone_hash: Callable[[str], str] | None = None) -> WebhookEvent:
    """Parse a webhook body; ValueError when it is not a Zalo event (no `event_name` or `timestamp`).

    A delivery event of a template sent by phone names the phone as its recipient (§9.8): its `user_id`
    (and so the dedupe key and the `zalo_event` row) holds `phone_hash(phone)` instead (the keyed hash
    dossiers are searched by), or the masked number without a `phone_hash`, never the number."""
    try:
        data = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("webhook body is not JSON") from exc
    if not isinstance(data, dict) or not data.get("event_name") or not data.get("timestamp"):
        raise ValueError("webhook body has no event_name/timestamp")
    name = str(data["event_name"])
    timestamp = str(data["timestamp"])
    try:
        occurred_at = from_epoch_ms(timestamp)
    except (ValueError, OverflowError) as exc:
        raise ValueError("webhook timestamp is not epoch milliseconds") from exc
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    user_id = _user_id(name, data)
    if user_id is not None and _is_phone(user_id):
        user_id = phone_hash(normalize_phone_84(user_id) or user_id) if phone_hash else mask_phone_84(user_id)
    msg_id = str(message.get("msg_id") or "")
    common: dict[str, Any] = {
        "event_name": name, "timestamp": timestamp, "occurred_at": occurred_at, "user_id": user_id,
        "key": _key(name, msg_id, user_id, timestamp), "raw": data,
    }
    if name == "follow":
        return Follow(**common, source=data.get("source"))
    if name == "unfollow":
        return Unfollow(**common)
    if name == "user_send_text":
        return UserSendText(**common, msg_id=msg_id, text=str(message.get("text") or ""))
    if name == "user_submit_info":
        info = data.get("info") if isinstance(data.get("info"), dict) else {}
        return UserSubmitInfo(**common, name=_str_or_none(info.get("name")),
                              phone_84=normalize_phone_84(info.get("phone")), address=_address(info))
    return OtherEvent(**common)


def _key(name: str, msg_id: str, user_id: str | None, timestamp: str) -> str:
    # A delivery event names the OA's message, already known under other events: received and seen of one
    # message are two events, each deduplicated on its own.
    if msg_id and name in ("user_received_message", "user_seen_message"):
        return f"{name}:{msg_id}"
    return f"msg:{msg_id}" if msg_id else f"{name}:{user_id or '-'}:{timestamp}"


def is_fresh(event: WebhookEvent, *, now: datetime, max_age: timedelta = DEFAULT_MAX_AGE,
             max_future: timedelta = DEFAULT_MAX_FUTURE) -> bool:
    """Our replay window (Zalo has none): not older than `max_age`, not ahead by more than `max_future`."""
    return utc(now) - max_age <= event.occurred_at <= utc(now) + max_future


def normalize_phone_84(value: Any) -> str | None:
    """A Vietnamese phone as `84…` digits (Zalo's form); None when absent. Accepts 0…, +84…, 84…, numbers."""
    if value is None:
        return None
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if not digits:
        return None
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits


def _user_id(name: str, data: dict[str, Any]) -> str | None:
    def pick(key: str) -> str | None:
        value = data.get(key)
        return str(value["id"]) if isinstance(value, dict) and value.get("id") is not None else None

    if name in ("follow", "unfollow"):
        return pick("follower")
    if name.startswith("oa_") or name in ("user_received_message", "user_seen_message"):
        return pick("recipient")  # OA → user direction
    return pick("sender")


def _is_phone(recipient_id: str) -> bool:
    # A Vietnamese number as Zalo writes it (84 + 9 or 10 digits); user ids are 16 to 19 digits long.
    return re.fullmatch(r"\+?84\d{9,10}|0\d{9,10}", recipient_id) is not None


def mask_phone_84(phone: str) -> str:
    """`84912345678` → `8491****678` (the form stored where no key is at hand)."""
    digits = normalize_phone_84(phone) or ""
    return digits[:4] + "*" * max(len(digits) - 7, 0) + digits[-3:]


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _address(info: dict[str, Any]) -> str | None:
    # Two shapes circulate (§8.6): nested `full_address` and flat address/ward/district/city.
    nested = info.get("full_address") if isinstance(info.get("full_address"), dict) else None
    parts = ([nested.get(k) for k in ("user_address", "user_ward", "user_district", "user_city")] if nested
             else [info.get(k) for k in ("address", "ward", "district", "city")])
    text = ", ".join(str(p) for p in parts if p)
    return text or None


# --- replay protection --------------------------------------------------------------------------------------


class ZaloEventRecord(SQLModel, table=True):
    """Webhook events already accepted (at-least-once delivery → dedupe on msg_id or event key)."""

    __tablename__ = "zalo_event"
    __table_args__ = (sa.Index("ux_zalo_event_event_key", "event_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    event_key: str = Field(max_length=200)
    event_name: str = Field(max_length=64)
    user_id: str | None = Field(default=None, max_length=64)
    received_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, index=True))


def record_event(session: Session, *, event_key: str, event_name: str, user_id: str | None,
                 received_at: datetime) -> bool:
    """Remember the event; False when it was seen before (then do nothing else with it). One statement, no
    savepoint (every delivery receipt comes through here): INSERT … ON CONFLICT DO NOTHING, which on
    PostgreSQL waits for a concurrent delivery of the same event and then finds it there."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(ZaloEventRecord)
                 .values(event_key=event_key[:200], event_name=event_name[:64], user_id=user_id,
                         received_at=utc(received_at))
                 .on_conflict_do_nothing(index_elements=["event_key"]).returning(col(ZaloEventRecord.id)))
    return session.execute(statement).first() is not None


def prune_events(session: Session, *, before: datetime) -> int:
    """Forget events received before `before` (older than the replay window). Flushes only."""
    result = session.exec(delete(ZaloEventRecord).where(ZaloEventRecord.received_at < utc(before)))  # type: ignore[call-overload]
    return int(result.rowcount or 0)


def apply_event(session: Session, *, event: WebhookEvent, now: datetime,
                phone_hash: Callable[[str], str] | None = None) -> ZaloUser | None:
    """Keep `zalo_user` current: follow/unfollow state, last interaction (follow and user messages count,
    ZALO_API.md §4.8), the keyed hash of a shared phone when the caller passes `phone_hash` (only for a
    phone it has proven: a shared phone alone proves nothing). Returns the user row, None for OA-side events."""
    if event.user_id is None or event.event_name.startswith("oa_") or event.event_name in (
            "user_received_message", "user_seen_message"):
        return None
    if isinstance(event, Unfollow):
        return record_user(session, user_id=event.user_id, now=now, followed=False)
    if isinstance(event, Follow):
        return record_user(session, user_id=event.user_id, now=now, followed=True,
                           interacted_at=event.occurred_at)
    if isinstance(event, UserSubmitInfo):
        hashed = phone_hash(event.phone_84) if phone_hash is not None and event.phone_84 else None
        return record_user(session, user_id=event.user_id, now=now, interacted_at=event.occurred_at,
                           display_name=event.name, phone_hash=hashed)
    if event.event_name.startswith("user_"):
        return record_user(session, user_id=event.user_id, now=now, interacted_at=event.occurred_at)
    return None
