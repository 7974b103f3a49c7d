"""Which `oa_send_*` echoes are ours (issue 18 part 7): by the message id Zalo gave our send, or — when that
id is not (yet) recorded — by the text of a message we were sending then; anything else an official typed."""

from __future__ import annotations

from datetime import timedelta

from cryptography.fernet import Fernet
from sqlmodel import Session

from connectors.outbox import SENDING, SENT, OutboxMessage
from connectors.zalo.sent import record_sent
from workflows.core.clock import ManualClock
from workflows.privacy import PersonalDataCipher
from workflows.zalo.handover import OA, our_echoes
from workflows.zalo.models import ConversationEntry

UID = "4512345678901234567"


def echo(session: Session, cipher: PersonalDataCipher, clock: ManualClock, msg_id: str, text: str) -> ConversationEntry:
    entry = ConversationEntry(user_id=UID, direction=OA, event_name="oa_send_text", msg_id=msg_id,
                              text_enc=cipher.encrypt(text), kinds=[], occurred_at=clock.now())
    session.add(entry)
    session.flush()
    return entry


def outbox(session: Session, clock: ManualClock, key: str, text: str, status: str, sent_ago: timedelta | None) -> None:
    session.add(OutboxMessage(idempotency_key=key, kind="reply", subject_ref=f"zalo:{UID}",
                              recipient_ref=f"zalo:{UID}", payload={"text": text}, status=status,
                              created_at=clock.now() - timedelta(hours=1),
                              sent_at=clock.now() - sent_ago if sent_ago is not None else None))
    session.flush()


def test_ours_by_id_or_by_the_text_we_were_sending(session: Session, clock: ManualClock) -> None:
    cipher = PersonalDataCipher(Fernet.generate_key().decode(), "hmac-key")
    outbox(session, clock, "a", "Hồ sơ của ông/bà đang được thẩm định.", SENT, timedelta(seconds=2))
    outbox(session, clock, "b", "Tin tức và hướng dẫn:\n• Video", SENDING, None)
    outbox(session, clock, "c", "Chào anh, em đã nhận được.", SENT, timedelta(hours=2))  # long ago
    record_sent(session, msg_id="m-known", user_id=UID, outbox_message_id=None, sent_at=clock.now())
    known = echo(session, cipher, clock, "m-known", "Bất kỳ nội dung nào")
    sent_text = echo(session, cipher, clock, "m-1", "Hồ sơ của ông/bà đang được thẩm định.")
    sending = echo(session, cipher, clock, "m-2", "Tin tức và hướng dẫn:\n• Video")
    old_text = echo(session, cipher, clock, "m-3", "Chào anh, em đã nhận được.")
    typed = echo(session, cipher, clock, "m-4", "Hồ sơ của ông/bà đang được thẩm định")  # not exactly ours
    mine = our_echoes(session, [known, sent_text, sending, old_text, typed], cipher=cipher)
    assert mine == {known.id, sent_text.id, sending.id}
