"""What the OA does with a citizen's Zalo event: welcome a follower and ask for the phone, link the
shared phone to that citizen's dossiers, answer texts (lookup, services, news, feedback). Replies go
through the outbox like every other message."""

from __future__ import annotations

from sqlmodel import Session, col, select

from connectors.outbox import enqueue
from connectors.zalo.webhook import Follow, UserSendText, UserSubmitInfo, WebhookEvent
from engine import Engine
from workflows.citizen import bot
from workflows.dossiers import audit
from workflows.dossiers.models import Dossier
from workflows.dossiers.services import DomainServices

WELCOME = ("Chào mừng ông/bà đến với {oa_name}. Ông/bà sẽ nhận thông báo về từng bước giải quyết hồ sơ "
           "tại đây. Gửi \"tra cứu\" để xem hồ sơ của mình, \"dịch vụ công\" để xem các thủ tục, "
           "\"phản ánh <nội dung>\" để gửi phản ánh, kiến nghị.")
ASK_PHONE = {"title": "Liên kết hồ sơ với Zalo",
             "subtitle": "Chia sẻ số điện thoại đã khai trong hồ sơ để nhận thông báo và tra cứu hồ sơ."}


def reply(session: Session, *, user_id: str, key: str, text: str, services: DomainServices,
          ask_phone: bool = False) -> None:
    payload: dict[str, object] = {"event": "REPLY", "text": text}
    if ask_phone:
        payload["request_user_info"] = ASK_PHONE
    enqueue(session, idempotency_key=f"reply:{key}", kind="reply", subject_ref=f"zalo:{user_id}",
            recipient_ref=f"zalo:{user_id}", payload=payload, now=services.clock.now())


def link_by_phone(session: Session, *, user_id: str, phone_84: str, services: DomainServices) -> int:
    """Attach the Zalo user to the dossiers filed with this phone; returns how many."""
    phone_hash = services.cipher.lookup_hash("phone", phone_84)
    dossiers = session.exec(select(Dossier).where(Dossier.applicant_phone_hash == phone_hash,
                                                  col(Dossier.zalo_user_id).is_(None))).all()
    for dossier in dossiers:
        dossier.zalo_user_id = user_id
        session.add(dossier)
        audit.record(session, actor=f"zalo:{user_id}", action="zalo.link_by_phone", at=services.clock.now(),
                     dossier_code=dossier.code)
    return len(dossiers)


def handle(session: Session, *, event: WebhookEvent, services: DomainServices, engine: Engine) -> None:
    """Handle one new (verified, fresh, not yet seen) event in the caller's transaction."""
    if event.user_id is None:
        return
    if isinstance(event, Follow):
        reply(session, user_id=event.user_id, key=event.key, services=services, ask_phone=True,
              text=WELCOME.format(oa_name=services.settings.oa_name))
    elif isinstance(event, UserSubmitInfo) and event.phone_84:
        linked = link_by_phone(session, user_id=event.user_id, phone_84=event.phone_84, services=services)
        text = (f"Đã liên kết {linked} hồ sơ với tài khoản Zalo của ông/bà. Gửi \"tra cứu\" để xem trạng thái."
                if linked else "Chưa có hồ sơ nào mang số điện thoại này. Khi nộp hồ sơ, ông/bà sẽ nhận "
                "thông báo tại đây.")
        reply(session, user_id=event.user_id, key=event.key, text=text, services=services)
    elif isinstance(event, UserSendText) and event.text.strip():
        answer = bot.answer_text(session, services=services, engine=engine, zalo_user_id=event.user_id,
                                 text=event.text)
        reply(session, user_id=event.user_id, key=event.key, text=answer, services=services)
