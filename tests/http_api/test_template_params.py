"""Issue 16 item 5: every kind of message we queue for a citizen fills every parameter of every template it
may fall back to, by user id and by phone, through the Zalo emulator (which, like Zalo, refuses a template
send that lacks one: -1122 "Missing parameter"). The messages are the ones the system itself writes: each
dossier event, an official's message, and the answer to feedback sent from the web page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from live import Citizen, live_server, wait_for
from sqlmodel import Session, select
from test_zalo_citizen import answer_feedback
from test_zalo_e2e import Officials

from connectors.outbox import DeliveryError, OutboxMessage, OutgoingMessage, Recipient
from connectors.zalo.emulator.templates import SEED_TEMPLATES
from connectors.zalo.sender import ZaloSender
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.dossiers import messages, queries
from workflows.notifications import texts

# Kinds sent only inside the interaction window, never as a template: replies to what the citizen just
# wrote (welcome, keyword answers) and officials' own reminders.
CS_ONLY_KINDS = {"reply", "official_reminder"}


def produce_every_kind(base: str, wiring: Any, officials: Officials, code: str) -> None:
    feedback = requests.post(f"{base}/api/v1/public/feedback", timeout=30, json={
        "category": "ho_so", "content": "Hồ sơ của tôi đã quá hẹn nhưng chưa nhận được thông báo.",
        "dossier_code": code, "contact_name": "Nguyễn Văn An", "contact_phone": "0912345678"})
    assert feedback.status_code == 201, feedback.text
    answer_feedback(base, officials, feedback.json()["code"])
    sent = requests.post(f"{base}/api/v1/dossiers/{code}/messages", headers=officials.headers("mot_cua"),
                         json={"text": "Mời ông/bà mang bản chính khi nhận kết quả."}, timeout=30)
    assert sent.status_code == 202, sent.text
    with session_scope(wiring.db) as session:
        dossier = queries.dossier_by_code(session, code)
        assert dossier is not None
        for event in sorted(texts.EVENTS):  # each event as its BPMN step queues it
            messages.notify_event(session, dossier=dossier, event=event, services=wiring.domain,
                                  now=wiring.clock.now(), reason="hồ sơ chưa đủ điều kiện",
                                  items=["Văn bản nghiệm thu về phòng cháy và chữa cháy"])


def queued(wiring: Any) -> list[OutboxMessage]:
    with Session(wiring.db) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.channel == "zalo")).all())


def outgoing(row: OutboxMessage) -> OutgoingMessage:
    assert row.id is not None
    return OutgoingMessage(id=row.id, idempotency_key=f"{row.idempotency_key}:check", kind=row.kind,
                           subject_ref=row.subject_ref, recipient_ref=row.recipient_ref, payload=row.payload,
                           attempts=0, parts_done=0)


class TestEveryMessageKindFillsItsTemplates:
    def test_no_missing_parameter_by_uid_or_by_phone(self, settings: Settings, clock: ManualClock, db: Any) -> None:
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84912345678")  # on Zalo with the dossier's phone
            citizen.act("follow")
            officials = Officials(base)
            code = officials.intake("0912345678", "Nguyễn Văn An")
            produce_every_kind(base, wiring, officials, code)
            wait_for(lambda: all(m.status not in ("pending", "sending") for m in queued(wiring)))
            clock.advance(timedelta(days=8))  # past the 7-day window: a user id is reached by template only
            messages = [m for m in queued(wiring) if m.kind not in CS_ONLY_KINDS]
            # Every template a message may fall back to; the phone-proof template carries only the one-time
            # code and is never a fallback (its own sending is walked in test_security_second_factor.py).
            template_ids = sorted({settings.zalo.default_template_id, *settings.zalo.template_ids.values(),
                                   *(t.template_id for t in SEED_TEMPLATES)} - {settings.zalo.phone_proof_template_id})
            failures, channels = [], set()
            for message in messages:
                for template_id in template_ids:
                    sender = ZaloSender(client=wiring.zalo, db_engine=wiring.db, now=clock.now,
                                        load_attachment=lambda _id: ("x.pdf", b""), default_template_id=template_id)
                    for recipient in (Recipient(citizen.user_id, None, "Nguyễn Văn An"),
                                      Recipient(None, citizen.phone_84, "Nguyễn Văn An")):
                        try:
                            channels.add(sender.send(outgoing(message), recipient).channel_used)
                        except DeliveryError as exc:
                            failures.append((message.kind, message.payload.get("event"), template_id, str(exc)))

        events = {str(m.payload.get("event")) for m in messages}
        assert {m.kind for m in messages} == {"dossier_event", "official_message", "feedback_answer"}
        assert events == set(texts.EVENTS) | {"TIN_NHAN", "TRA_LOI_PAKN"}, events
        assert failures == [], failures
        assert channels == {"template_uid", "template_phone"}, channels
