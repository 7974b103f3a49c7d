"""A dossier's Zalo conversation as an official handling it reads it: the citizen's messages, the bot's
answers, our notifications about this dossier and what officials typed in Zalo's OA manager, oldest first.

The conversation is the one of the Zalo account linked to the dossier (`Dossier.zalo_user_id`, set only once
the account proved it holds the applicant's phone, `phone_proof.py`). Our own messages are shown from the
outbox (with what became of them): the replies to that account and the dossier's own notifications, not
the notifications of the citizen's other dossiers. Their `oa_send_*` echoes are not shown twice.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from connectors.outbox import OutboxMessage
from connectors.zalo.client import is_image
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import ensure_utc
from workflows.dossiers.messages import STATUS_NAMES, recipient_ref
from workflows.dossiers.models import Dossier
from workflows.identity.actor import Actor
from workflows.privacy import mask_text
from workflows.zalo.handover import CITIZEN, OA, our_echoes
from workflows.zalo.models import ConversationEntry
from workflows.zalo.schemas import ConversationItem, ConversationOut

CITIZEN_LABEL, SYSTEM_LABEL, OFFICIAL_LABEL = "Công dân", "Hệ thống", "Cán bộ qua OA"
NOT_LINKED = ("Hồ sơ chưa liên kết với tài khoản Zalo nào (công dân chỉ liên kết sau khi xác thực số điện "
              "thoại đã khai trong hồ sơ qua Zalo), nên chưa có hội thoại Zalo để hiển thị.")
KIND_NAMES = {"image": "Ảnh", "file": "Tệp", "location": "Vị trí", "sticker": "Nhãn dán", "gif": "Ảnh động",
              "audio": "Ghi âm", "video": "Video", "link": "Liên kết", "business_card": "Danh thiếp",
              "list": "Danh sách", "template": "Thẻ tin nhắn", "request_user_info": "Thẻ chia sẻ thông tin"}
SOURCES = {"reply": "bot_reply", "official_message": "official_message"}


def for_dossier(session: Session, *, dossier: Dossier, actor: Actor, services: DomainServices) -> ConversationOut:
    """The conversation of the dossier's linked Zalo account, oldest first; an empty list with a note when
    no account is linked. The read is recorded in the audit trail (it shows what a citizen wrote)."""
    audit.record(session, actor=actor.username, action="dossier.zalo_conversation", at=services.clock.now(),
                 dossier_code=dossier.code)
    user_id = dossier.zalo_user_id
    if not user_id:
        return ConversationOut(zalo_linked=False, note=NOT_LINKED, items=[])
    entries = session.exec(select(ConversationEntry).where(ConversationEntry.user_id == user_id)
                           .order_by(col(ConversationEntry.occurred_at), col(ConversationEntry.id))).all()
    mine = our_echoes(session, [e for e in entries if e.direction == OA], cipher=services.cipher)
    items = [_received(e, services=services) for e in entries if not (e.direction == OA and e.id in mine)]
    sent = session.exec(select(OutboxMessage).where(or_(
        OutboxMessage.recipient_ref == f"zalo:{user_id}", OutboxMessage.recipient_ref == recipient_ref(dossier)))
        .order_by(col(OutboxMessage.id))).all()
    items += [_ours(m) for m in sent]
    items.sort(key=lambda item: item.at)  # stable: equal instants keep the order above
    return ConversationOut(zalo_linked=True, items=items)


def _received(entry: ConversationEntry, *, services: DomainServices) -> ConversationItem:
    text = ""
    if entry.text_enc:
        try:
            text = services.cipher.decrypt(entry.text_enc)
        except ValueError:  # a retired data key: say so rather than fail the whole timeline
            text = "[không đọc được nội dung]"
    citizen = entry.direction == CITIZEN
    return ConversationItem(
        at=ensure_utc(entry.occurred_at), who=CITIZEN_LABEL if citizen else OFFICIAL_LABEL,
        source="citizen" if citizen else "oa_manager", text=mask_text(text),
        attachments=[KIND_NAMES.get(kind, "Khác") for kind in entry.kinds])


def _ours(message: OutboxMessage) -> ConversationItem:
    payload: dict[str, Any] = message.payload or {}
    attachments = []
    attachment = payload.get("attachment")
    if isinstance(attachment, dict):
        attachments.append(KIND_NAMES["image"] if is_image(str(attachment.get("filename") or "")) else
                           KIND_NAMES["file"])
    if payload.get("request_user_info"):
        attachments.append(KIND_NAMES["request_user_info"])
    return ConversationItem(
        at=ensure_utc(message.sent_at or message.created_at), who=SYSTEM_LABEL,
        source=SOURCES.get(message.kind, "notification"), text=mask_text(str(payload.get("text") or "")),
        attachments=attachments, status_name=STATUS_NAMES.get(message.status, message.status))
