"""The outbox job (a relay pass unless the relay's own thread runs) and the token refresh job."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from sqlmodel import Session, select

from connectors.outbox import SENT, OutboxMessage, OutboxRelay, OutgoingMessage, Recipient, SendResult
from connectors.zalo.emulator import create_emulator_app
from connectors.zalo.tokens import DbTokenStore
from tests.connectors.zalo_world import APP_ID, APP_SECRET, OA_SECRET, make_client, serve_in_thread
from tests.scheduler.assembly import Domain, vn
from tests.scheduler.conftest import complete, intake, open_item, set_due
from workflows.core.db import session_scope
from workflows.identity.models import Official
from workflows.scheduler import zalo_token_refresher


class RecordingSender:
    """Stands in for Zalo at the network boundary: records what the relay hands over."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, message: OutgoingMessage, recipient: Recipient) -> SendResult:
        self.sent.append((message.kind, message.recipient_ref, message.payload["text"]))
        return SendResult(channel_used="cs", provider_message_id=f"m{len(self.sent)}")


def linked_officer_with_late_step(domain: Domain) -> str:
    with session_scope(domain.db) as session:
        officer = session.exec(select(Official).where(Official.username == "chuyen_vien")).one()
        officer.zalo_user_id = "8400000000000000042"
        session.add(officer)
    code = intake(domain)
    complete(domain, "lanh_dao_phong", code, {"case_officer": "chuyen_vien"})
    set_due(domain, open_item(domain, code).id, due_at=vn(2026, 11, 24, 10, 0))
    return code


def test_outbox_job_sends_reminders_to_linked_officials(domain: Domain) -> None:
    linked_officer_with_late_step(domain)
    sender = RecordingSender()
    relay = OutboxRelay(
        db_engine=domain.db,
        sender=sender,
        now=domain.clock.now,
        resolve_recipient=lambda ref: Recipient(
            zalo_user_id="8400000000000000042", phone_84=None, display_name=ref
        ),
    )
    scheduler = domain.scheduler(relay=relay)
    assert scheduler.jobs == ["timers", "reminders", "outbox"]
    domain.clock.set(vn(2026, 11, 24, 10, 5))
    assert scheduler.run_once("reminders") >= 1
    with Session(domain.db) as session:
        pending = len(session.exec(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                           OutboxMessage.channel == "zalo")).all())
        officer = session.exec(select(Official).where(Official.username == "chuyen_vien")).one()
    assert pending >= 2  # the citizen's messages of the dossier so far, and the officer's reminder
    assert scheduler.state()["backlog"]["outbox_due"] == pending
    assert scheduler.run_once("outbox") == pending
    reminders = [(ref, text) for kind, ref, text in sender.sent if kind == "official_reminder"]
    assert len(reminders) == 1
    assert reminders[0][0] == f"official:{officer.id}" and reminders[0][1].startswith("Quá hạn")
    with Session(domain.db) as session:
        statuses = session.exec(
            select(OutboxMessage.status).where(OutboxMessage.kind == "official_reminder")
        ).all()
    assert statuses == [SENT]

    # Started, the relay's own thread does the sending; the job does not run a second pass beside it.
    scheduler.start()
    try:
        assert relay.running
        assert scheduler.run_once("outbox") == 0
    finally:
        scheduler.stop()
    assert not relay.running


@pytest.fixture
def emulator_base(domain: Domain) -> Iterator[str]:
    app = create_emulator_app(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        oa_secret_key=OA_SECRET,
        webhook_url=None,
        now=domain.clock.now,
        fault_timeout_seconds=0.5,
        seed=7,
    )
    base, stop = serve_in_thread(app)
    yield base
    stop()


def test_token_job_refreshes_only_when_the_access_token_nears_expiry(
    domain: Domain, emulator_base: str
) -> None:
    http = requests.Session()
    tokens = DbTokenStore(domain.db)
    client = make_client(emulator_base, tokens, http, domain.clock)
    code = http.post(f"{emulator_base}/zalo-emulator/grant", timeout=5).json()["code"]
    client.exchange_code(code)
    first = tokens.current()
    assert first is not None

    refresher = zalo_token_refresher(
        tokens=tokens, client=client, now=domain.clock.now, margin=timedelta(hours=6)
    )
    scheduler = domain.scheduler(token_refresher=refresher)
    assert scheduler.run_once("tokens") == 0
    domain.clock.advance(first.access_expires_at - domain.clock.now() - timedelta(hours=5))
    assert scheduler.run_once("tokens") == 1
    second = DbTokenStore(domain.db).current()  # committed, not only cached
    assert second is not None and second.refresh_token != first.refresh_token
    assert second.access_expires_at > first.access_expires_at
    assert scheduler.run_once("tokens") == 0
    http.close()
