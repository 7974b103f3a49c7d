"""What the OA does with a citizen's Zalo event: welcome a follower and ask for the phone, prove the
shared phone with a one-time code before it links anything (`phone_proof.py`), answer texts (lookup,
services, news, feedback). Replies go through the outbox like every other message."""

from __future__ import annotations

from sqlmodel import Session

from connectors.outbox import enqueue
from connectors.zalo.payload import MessagePayload, UserInfoRequest
from connectors.zalo.webhook import Follow, UserSendText, UserSubmitInfo, WebhookEvent
from engine import Engine
from workflows.collaborators import DomainServices
from workflows.core.text import search_key
from workflows.zalo import bot, phone_proof

WELCOME = ("Chào mừng ông/bà đến với {oa_name}. Để nhận thông báo về từng bước giải quyết hồ sơ tại đây, "
           "vui lòng chia sẻ số điện thoại đã khai trong hồ sơ, rồi nhắn lại mã xác thực 6 chữ số được gửi qua "
           "Zalo tới số điện thoại đó. Gửi \"tra cứu\" để xem hồ sơ của mình, \"dịch vụ công\" để xem các thủ "
           "tục, \"phản ánh <nội dung>\" để gửi phản ánh, kiến nghị.")
ASK_PHONE = UserInfoRequest(
    title="Liên kết hồ sơ với Zalo",
    subtitle="Chia sẻ số điện thoại đã khai trong hồ sơ; ông/bà sẽ nhận mã xác thực 6 chữ số qua "
             "Zalo, nhắn lại mã đó tại đây để nhận thông báo và tra cứu hồ sơ.")
ASK_AGAIN = "Vui lòng chia sẻ số điện thoại đã khai trong hồ sơ để nhận mã xác thực."
LINK_WORDS = ("lien ket", "lien ket zalo", "lien ket ho so", "xac thuc")


def reply(session: Session, *, user_id: str, key: str, text: str, services: DomainServices,
          ask_phone: bool = False) -> None:
    """Queue `text` for the follower (inside the window only: a reply has no template), then the phone card."""
    payload = MessagePayload(event="REPLY", text=text, request_user_info=ASK_PHONE if ask_phone else None)
    enqueue(session, idempotency_key=f"reply:{key}", kind="reply", subject_ref=f"zalo:{user_id}",
            recipient_ref=f"zalo:{user_id}", payload=payload.to_dict(), now=services.clock.now())


def handle(session: Session, *, event: WebhookEvent, services: DomainServices, engine: Engine) -> None:
    """Handle one new (verified, fresh, not yet seen) event in the caller's transaction."""
    if event.user_id is None:
        return
    if isinstance(event, Follow):
        reply(session, user_id=event.user_id, key=event.key, services=services, ask_phone=True,
              text=WELCOME.format(oa_name=services.settings.oa_name))
    elif isinstance(event, UserSubmitInfo) and event.phone_84:
        text = phone_proof.start(session, services=services, user_id=event.user_id, phone_84=event.phone_84)
        reply(session, user_id=event.user_id, key=event.key, text=text, services=services)
    elif isinstance(event, UserSendText) and event.text.strip():
        text, ask_phone = _answer(session, event=event, services=services, engine=engine)
        reply(session, user_id=event.user_id, key=event.key, text=text, services=services, ask_phone=ask_phone)


def _answer(session: Session, *, event: UserSendText, services: DomainServices, engine: Engine) -> tuple[str, bool]:
    assert event.user_id is not None
    code = phone_proof.code_in(event.text)
    if code is not None:
        return phone_proof.confirm(session, services=services, user_id=event.user_id, code=code)
    if search_key(event.text) in LINK_WORDS:
        return ASK_AGAIN, True
    return bot.answer_text(session, services=services, engine=engine, zalo_user_id=event.user_id,
                           text=event.text), False
