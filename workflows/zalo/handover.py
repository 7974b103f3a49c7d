"""Hand-over to staff: when an official answers a citizen in Zalo's OA manager, the keyword bot steps aside.

Zalo tells us about the OA manager only through the OA's own outgoing events, `oa_send_text`,
`oa_send_image`, `oa_send_file`, … (ZALO_API.md §8.5; `sender.id` is the OA, `recipient.id` the citizen,
§8.6). Our own API sends are echoed the same way; an echo whose `msg_id` is one our client got back from
Zalo (`connectors/zalo/sent.py`) is ours, any other one was typed by a person. The test is made when it is
needed (when the citizen's next text arrives), not when the echo arrives: Zalo may deliver the echo of one of
our sends before our client has recorded the id it got back.

While the pause lasts (`zalo.handover_quiet_minutes` from the official's last message; each further message
extends it) the citizen's texts are stored (`record`) and left for the official: the bot does not answer
them. Everything else goes on: dossier notifications, one-time codes, welcome messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from connectors.zalo.sent import ours
from connectors.zalo.webhook import WebhookEvent
from workflows.collaborators import DomainServices
from workflows.zalo import phone_proof
from workflows.zalo.models import ConversationEntry

CITIZEN, OA = "citizen", "oa"
CODE_SHOWN = "[mã xác thực 6 chữ số]"  # a one-time code is a secret even once used: never kept


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


def officials_answers(session: Session, *, user_id: str, since: datetime | None = None) -> list[ConversationEntry]:
    """The OA's messages to `user_id` (since `since`) that none of our sends produced: typed by an official
    in Zalo's OA manager. Oldest first."""
    query = select(ConversationEntry).where(ConversationEntry.user_id == user_id,
                                            ConversationEntry.direction == OA)
    if since is not None:
        query = query.where(col(ConversationEntry.occurred_at) >= since)
    rows = session.exec(query.order_by(col(ConversationEntry.occurred_at), col(ConversationEntry.id))).all()
    mine = ours(session, (r.msg_id for r in rows if r.msg_id))
    return [r for r in rows if r.msg_id not in mine]


def bot_paused(session: Session, *, services: DomainServices, user_id: str) -> bool:
    """True while an official is talking to `user_id` in the OA manager: their last message is less than
    `zalo.handover_quiet_minutes` old. The caller then stores the citizen's text and does not answer it."""
    minutes = services.settings.zalo.handover_quiet_minutes
    if minutes <= 0:
        return False
    since = services.clock.now() - timedelta(minutes=minutes)
    return bool(officials_answers(session, user_id=user_id, since=since))
