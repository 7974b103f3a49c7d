"""What the OA does with a Zalo webhook delivery: `receive` checks it (size, signature, freshness), records
it once (Zalo retries a delivery it thinks failed) and hands it to `handle`: welcome a follower and ask for
the phone, prove the shared phone with a one-time code before it links anything (`phone_proof.py`), answer
texts (lookup, services, news, feedback) unless an official is answering in the OA manager (`handover.py`).
Every message of the conversation is stored for officials to read. Replies go through the outbox like every
other message."""

from __future__ import annotations

from sqlmodel import Session

from connectors.outbox import enqueue
from connectors.zalo.payload import MessagePayload, UserInfoRequest
from connectors.zalo.webhook import (
    Follow,
    UserSendText,
    UserSubmitInfo,
    WebhookEvent,
    apply_event,
    is_fresh,
    mask_phone_84,
    parse_event,
    record_event,
    verify_signature,
)
from engine import Engine
from workflows.collaborators import DomainServices
from workflows.core.errors import BadRequest, NotAuthenticated
from workflows.core.text import search_key
from workflows.privacy import InvalidPersonalData
from workflows.zalo import bot, citizen_media, consent, delivery, handover, phone_proof, unparseable

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
MAX_BODY = 64 * 1024  # a Zalo event is a few hundred bytes


def receive(session: Session, *, raw: bytes, signature: str, services: DomainServices, engine: Engine) -> str:
    """One webhook delivery (`raw`: the exact bytes; `signature`: `X-ZEvent-Signature`) in the caller's
    transaction: "ok", or "duplicate" for an event already received (nothing is done twice).

    Every event name is recorded and acknowledged, unknown ones included (Zalo disables a webhook that keeps
    failing, §8.3); a signed body that is no event we can read is recorded as `unparseable` ("unparseable").
    Raises `BadRequest` for a body over `MAX_BODY`, an unsigned one we cannot read, or a stale event (a
    replay), and `NotAuthenticated` when the signature does not match; nothing is written then."""
    if len(raw) > MAX_BODY:
        raise BadRequest("Sự kiện quá lớn.", code="event_too_large")
    try:
        event = parse_event(raw, phone_hash=lambda phone_84: _phone_hash(services, phone_84))
    except ValueError as exc:
        return unparseable.receive(session, raw=raw, signature=signature, services=services, error=exc)
    zalo = services.settings.zalo
    if not verify_signature(app_id=zalo.app_id, raw_body=raw, timestamp=event.timestamp,
                            oa_secret_key=zalo.oa_secret_key.get_secret_value(), signature_header=signature):
        raise NotAuthenticated("Chữ ký sự kiện không hợp lệ.", code="invalid_signature")
    now = services.clock.now()
    if not is_fresh(event, now=now):
        raise BadRequest("Sự kiện đã quá cũ (có thể bị phát lại).", code="stale_event")
    fetched = citizen_media.prefetch(event)  # before the first statement: no lock held while Zalo answers
    if not record_event(session, event_key=event.key, event_name=event.event_name, user_id=event.user_id,
                        received_at=now):
        return "duplicate"  # Zalo retries a delivery it thinks failed: answer 200, do nothing twice
    # No phone_hash: a shared phone is recorded on the user only once proven (phone_proof.py).
    apply_event(session, event=event, now=now)
    handle(session, event=event, services=services, engine=engine, fetched=fetched)
    return "ok"


def _phone_hash(services: DomainServices, phone_84: str) -> str:
    """The keyed hash of a phone named by a delivery event; the masked number when it is no valid number."""
    try:
        return services.cipher.lookup_hash("phone", phone_84)
    except InvalidPersonalData:
        return mask_phone_84(phone_84)


def reply(session: Session, *, user_id: str, key: str, text: str, services: DomainServices,
          ask_phone: bool = False) -> None:
    """Queue `text` for the follower (inside the window only: a reply has no template), then the phone card."""
    payload = MessagePayload(event="REPLY", text=text, request_user_info=ASK_PHONE if ask_phone else None)
    enqueue(session, idempotency_key=f"reply:{key}", kind="reply", subject_ref=f"zalo:{user_id}",
            recipient_ref=f"zalo:{user_id}", payload=payload.to_dict(), now=services.clock.now())


def handle(session: Session, *, event: WebhookEvent, services: DomainServices, engine: Engine,
           fetched: citizen_media.Fetched | None = None) -> None:
    """Handle one new (verified, fresh, not yet seen) event in the caller's transaction (`fetched`: the
    event's photos, `citizen_media.prefetch`)."""
    if event.event_name in delivery.DELIVERY_EVENTS:  # the OA's message reached (or was read by) the citizen
        delivery.record(session, event=event)
        return
    if event.user_id is None:
        return
    handover.record(session, event=event, services=services)  # the conversation an official reads
    if isinstance(event, Follow):
        reply(session, user_id=event.user_id, key=event.key, services=services, ask_phone=True,
              text=WELCOME.format(oa_name=services.settings.oa_name))
    elif not event.event_name.startswith("user_") or consent.is_unfollowed(session, user_id=event.user_id):
        return  # the OA's own and delivery events; an unfollowed citizen gets no answer (consent.py)
    elif isinstance(event, UserSubmitInfo) and event.phone_84:
        text = phone_proof.start(session, services=services, user_id=event.user_id, phone_84=event.phone_84)
        reply(session, user_id=event.user_id, key=event.key, text=text, services=services)
    elif isinstance(event, UserSendText) and event.text.strip():
        answered = _answer(session, event=event, services=services, engine=engine)
        if answered is not None:
            reply(session, user_id=event.user_id, key=event.key, text=answered[0], services=services,
                  ask_phone=answered[1])
    elif (answer := citizen_media.receive(session, event=event, services=services, fetched=fetched)) is not None:
        reply(session, user_id=event.user_id, key=event.key, text=answer, services=services)


def _answer(session: Session, *, event: UserSendText, services: DomainServices,
            engine: Engine) -> tuple[str, bool] | None:
    assert event.user_id is not None
    choice = consent.answer(session, user_id=event.user_id, text=event.text, now=services.clock.now())
    if choice is not None:
        return choice, False
    code = phone_proof.code_in(event.text)
    if code is not None:
        return phone_proof.confirm(session, services=services, user_id=event.user_id, code=code)
    if search_key(event.text) in LINK_WORDS:
        return ASK_AGAIN, True
    if handover.bot_paused(session, services=services, user_id=event.user_id):
        return None  # an official is answering in the OA manager: the text (stored above) is theirs
    return bot.answer_text(session, services=services, engine=engine, zalo_user_id=event.user_id,
                           text=event.text), False
