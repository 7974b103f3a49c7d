"""Hand-over to staff: when an official answers a citizen in Zalo's OA manager, the keyword bot steps aside.

Zalo tells us about the OA manager only through the OA's own outgoing events, `oa_send_text`,
`oa_send_image`, `oa_send_file`, … (ZALO_API.md §8.5; `sender.id` is the OA, `recipient.id` the citizen,
§8.6). Our own API sends are echoed the same way; an echo whose `msg_id` is one our client got back from
Zalo (`connectors/zalo/sent.py`) is ours, and so is one whose text is exactly a part of a message we were
sending then (`our_echoes`); any other one was typed by a person. The test is made when it is needed (when
the citizen's next text arrives), not when the echo arrives: Zalo may deliver the echo of one of our sends
before our client has recorded the id it got back.

While the pause lasts (`zalo.handover_quiet_minutes` from the official's last message; each further message
extends it) the citizen's texts are stored (`record`) and left for the official: the bot does not answer
them. Everything else goes on: dossier notifications, one-time codes, welcome messages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from connectors.outbox import SENDING, OutboxMessage
from connectors.zalo.sender import split_text
from connectors.zalo.sent import ours
from connectors.zalo.webhook import WebhookEvent
from workflows.collaborators import DomainServices
from workflows.privacy import PersonalDataCipher
from workflows.zalo import phone_proof
from workflows.zalo.models import ConversationEntry

CITIZEN, OA = "citizen", "oa"
CODE_SHOWN = "[mã xác thực 6 chữ số]"  # a one-time code is a secret even once used: never kept
# How far back an echo without a known id is compared with the texts we sent (the relay's retries included).
ECHO_MATCH_WINDOW = timedelta(minutes=10)


def record(session: Session, *, event: WebhookEvent, services: DomainServices) -> ConversationEntry | None:
    """Keep one message of the conversation in the caller's transaction: what the citizen sent
    (`user_send_*`) or what the OA sent (`oa_send_*`); None for any other event (follow, delivery, group
    chats). The text is encrypted; attachments are kept by kind only (their URLs expire, §12.3)."""
    name = event.event_name
    if event.user_id is None or "_group" in name:
        return None
    if name.startswith("user_send_"):
        direction = CITIZEN
    elif name.startswith("oa_send_"):
        direction = OA
    else:
        return None
    message: dict[str, Any] = event.raw.get("message") if isinstance(event.raw.get("message"), dict) else {}
    text = str(message.get("text") or "").strip()
    if direction == CITIZEN and text and phone_proof.code_in(text) is not None:
        text = CODE_SHOWN
    attachments = message.get("attachments")
    kinds = [str(a.get("type") or "other")[:32] for a in attachments if isinstance(a, dict)] if isinstance(
        attachments, list) else []
    if not kinds and not name.endswith("_text"):
        kinds = [name.split("_send_", 1)[1][:32]]  # e.g. a sticker event without an attachments list
    entry = ConversationEntry(
        user_id=event.user_id, direction=direction, event_name=name[:64], msg_id=str(message.get("msg_id") or "")
        or None, text_enc=services.cipher.encrypt(text) if text else None, kinds=kinds,
        occurred_at=event.occurred_at)
    session.add(entry)
    return entry


def officials_answers(session: Session, *, services: DomainServices, user_id: str,
                      since: datetime | None = None) -> list[ConversationEntry]:
    """The OA's messages to `user_id` (since `since`) that none of our sends produced: typed by an official
    in Zalo's OA manager. Oldest first."""
    query = select(ConversationEntry).where(ConversationEntry.user_id == user_id,
                                            ConversationEntry.direction == OA)
    if since is not None:
        query = query.where(col(ConversationEntry.occurred_at) >= since)
    rows = session.exec(query.order_by(col(ConversationEntry.occurred_at), col(ConversationEntry.id))).all()
    mine = our_echoes(session, rows, cipher=services.cipher)
    return [r for r in rows if r.id not in mine]


def our_echoes(session: Session, rows: Sequence[ConversationEntry], *,
               cipher: PersonalDataCipher) -> set[int | None]:
    """The ids of the `rows` (OA echoes) that our own sends produced. First by the message id Zalo gave our
    send; failing that, by the text: the id is recorded only once Zalo's answer is back, and is never known
    when that answer was lost (a timeout after sending), while the echo may already be here — then an echo
    whose text is exactly a part of one of our messages sent around that time (or being sent) is ours."""
    known = ours(session, (r.msg_id for r in rows if r.msg_id))
    mine = {r.id for r in rows if r.msg_id in known}
    unsure = [r for r in rows if r.id not in mine and r.text_enc]
    if not unsure:
        return mine
    since = min(r.occurred_at for r in unsure) - ECHO_MATCH_WINDOW
    candidates = session.exec(select(OutboxMessage).where(or_(
        OutboxMessage.status == SENDING, col(OutboxMessage.sent_at) >= since))).all()
    parts = {part for m in candidates for part in split_text(str((m.payload or {}).get("text") or ""))}
    for row in unsure:
        try:
            text = cipher.decrypt(row.text_enc or "")
        except ValueError:
            continue
        if unicodedata.normalize("NFC", text).strip() in parts:
            mine.add(row.id)
    return mine


def bot_paused(session: Session, *, services: DomainServices, user_id: str) -> bool:
    """True while an official is talking to `user_id` in the OA manager: their last message is less than
    `zalo.handover_quiet_minutes` old. The caller then stores the citizen's text and does not answer it."""
    minutes = services.settings.zalo.handover_quiet_minutes
    if minutes <= 0:
        return False
    since = services.clock.now() - timedelta(minutes=minutes)
    return bool(officials_answers(session, services=services, user_id=user_id, since=since))
