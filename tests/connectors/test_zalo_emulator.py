"""The emulator's own surface: mounting inside another app, fault injection, citizen-side hooks; and two
relays working the same outbox at once."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import requests
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from zalo_world import APP_ID, APP_SECRET, OA_SECRET, ZaloWorld, make_client

from connectors.outbox import SENT, OutboxMessage, OutboxRelay, Recipient, enqueue
from connectors.zalo.emulator import DEFAULT_TEMPLATE_ID, create_emulator_app
from connectors.zalo.errors import ZaloBadRequest, ZaloUnreachable
from connectors.zalo.sender import ZaloSender
from connectors.zalo.tokens import DbTokenStore
from workflows.core.clock import ManualClock


def test_mounted_under_a_prefix_of_another_app(db: Engine, clock: ManualClock,
                                               serve: Callable[[FastAPI], str]) -> None:
    main = FastAPI()
    main.mount("/zalo-emulator", create_emulator_app(app_id=APP_ID, app_secret=APP_SECRET,
                                                     oa_secret_key=OA_SECRET, webhook_url=None, now=clock.now,
                                                     prefix=""))
    base = serve(main)
    with requests.Session() as http:
        client = make_client(base, DbTokenStore(db), http, clock)
        client.exchange_code(http.post(f"{base}/zalo-emulator/grant", timeout=5).json()["code"])
        user = http.post(f"{base}/zalo-emulator/users", json={"display_name": "Lê Văn C"}, timeout=5).json()
        http.post(f"{base}/zalo-emulator/users/{user['user_id']}/follow", timeout=5).raise_for_status()
        client.send_file(user["user_id"], client.upload_file("ket-qua.pdf", b"%PDF result"))
        inbox = http.get(f"{base}/zalo-emulator/inbox", params={"user_id": user["user_id"]}, timeout=5).json()
        path = inbox["messages"][0]["file"]["download_path"]
        assert path.startswith("/zalo-emulator/files/")
        assert http.get(base + path, timeout=5).content == b"%PDF result"
        assert inbox["display_name"] == "Lê Văn C" and inbox["followed"] is True


def test_fault_plans_and_injected_error_codes(zalo: ZaloWorld) -> None:
    user = zalo.user()
    bad = zalo.http.post(zalo.url("/faults"), json={"rate": 0.5, "kinds": ["meteor"]}, timeout=5)
    assert bad.status_code == 422
    zalo.faults(1.0, ["error:-227"])
    try:
        zalo.client.send_text(user["user_id"], "x")
    except ZaloUnreachable as exc:
        assert exc.code == -227 and exc.reason == "user_inactive"
    else:
        raise AssertionError("the injected error was not raised")
    zalo.faults(1.0, ["error:-201"])
    try:
        zalo.client.send_text(user["user_id"], "x")
    except ZaloBadRequest as exc:
        assert exc.code == -201
    else:
        raise AssertionError("the injected error was not raised")
    zalo.faults(0.0, [])
    zalo.client.send_text(user["user_id"], "x")
    assert zalo.stats()["faults"] == 2


def test_phone_side_hooks(zalo: ZaloWorld) -> None:
    taken = zalo.user(phone="84911111111")
    again = zalo.http.post(zalo.url("/users"), json={"phone": "84911111111"}, timeout=5)
    assert again.status_code == 409
    assert zalo.http.post(zalo.url("/users/999/follow"), timeout=5).status_code == 404
    assert zalo.http.get(zalo.url("/inbox"), params={"phone": "84900000000"}, timeout=5).status_code == 404
    followed = zalo.http.post(zalo.url(f"/users/{taken['user_id']}/unfollow"), timeout=5).json()
    assert followed["event"]["event_name"] == "unfollow" and followed["delivery"] == "no_url"


def test_two_relays_share_the_outbox_without_sending_twice(zalo: ZaloWorld) -> None:
    recipients: dict[str, Recipient] = {}
    for s in range(6):
        user = zalo.user()
        recipients[f"c{s}"] = Recipient(zalo_user_id=user["user_id"], phone_84=None, display_name=str(s))
        with Session(zalo.db) as session:
            for n in range(5):
                enqueue(session, idempotency_key=f"S{s}:{n}", kind="reply", subject_ref=f"S{s}",
                        recipient_ref=f"c{s}", payload={"text": f"{s}-{n}"}, now=zalo.clock.now())
            session.commit()

    def relay(seed: int) -> OutboxRelay:
        # Two "processes": separate clients and token stores over the same database.
        client = zalo.new_client(tokens=DbTokenStore(zalo.db))
        sender = ZaloSender(client=client, db_engine=zalo.db, now=zalo.clock.now,
                            load_attachment=lambda d: ("x.pdf", b""), default_template_id=DEFAULT_TEMPLATE_ID)
        return OutboxRelay(db_engine=zalo.db, sender=sender, resolve_recipient=recipients.get,
                           now=zalo.clock.now, rng=random.Random(seed), concurrency=3)

    relays = [relay(1), relay(2)]
    barrier = threading.Barrier(2)

    def drain(r: OutboxRelay) -> None:
        barrier.wait()
        while r.run_once(limit=4).claimed:
            pass

    threads = [threading.Thread(target=drain, args=(r,)) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with Session(zalo.db) as session:
        assert {m.status for m in session.exec(select(OutboxMessage)).all()} == {SENT}
    for s in range(6):
        texts = [m["text"] for m in zalo.inbox(user_id=recipients[f"c{s}"].zalo_user_id)]
        assert texts == [f"{s}-{n}" for n in range(5)]
