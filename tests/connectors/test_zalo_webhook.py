"""Webhook signature (ZALO_API.md §8.4 test vector), parsing, replay protection, emulator deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from fastapi import FastAPI, Request, Response
from sqlmodel import Session
from zalo_world import APP_ID, APP_SECRET, OA_SECRET

from connectors.zalo.emulator import create_emulator_app
from connectors.zalo.users import ZaloUser
from connectors.zalo.webhook import (
    Follow,
    OtherEvent,
    Unfollow,
    UserSendText,
    UserSubmitInfo,
    apply_event,
    is_fresh,
    parse_event,
    prune_events,
    record_event,
    verify_signature,
)
from workflows.core.clock import ManualClock

VECTOR_APP_ID = "3608465248940903967"
VECTOR_SECRET = "OA_SECRET_KEY_EXAMPLE"
VECTOR_BODY = (b'{"app_id":"3608465248940903967","user_id_by_app":"552177279717587730",'
               b'"event_name":"user_send_text","timestamp":"1717061839659","sender":{"id":"246845883529197922"},"recipient":{"id":"3886132808788'
               b'08645"},"message":{"msg_id":"96d3cdf3af150460909","text":"HS-2024-000123"}}')
VECTOR_MAC = "mac=1cdee17e4fd00f860b2f9f0da122bf67cb82aa5764701c8de696023e87f39f80"


def _verify(body: bytes = VECTOR_BODY, *, header: str = VECTOR_MAC, secret: str = VECTOR_SECRET,
            app_id: str = VECTOR_APP_ID, timestamp: str = "1717061839659") -> bool:
    return verify_signature(app_id=app_id, raw_body=body, timestamp=timestamp, oa_secret_key=secret,
                            signature_header=header)


class TestSignature:
    def test_the_documented_vector_verifies(self) -> None:
        assert _verify()
        assert _verify(header=VECTOR_MAC.removeprefix("mac="))  # prefix optional
        assert _verify(header=VECTOR_MAC.upper().replace("MAC=", "mac="))  # hex case does not matter

    @pytest.mark.parametrize("change", ["body", "header", "secret", "app_id", "timestamp", "empty"])
    def test_anything_changed_is_refused(self, change: str) -> None:
        tampered = {
            "body": lambda: _verify(VECTOR_BODY.replace(b"000123", b"000124")),
            "header": lambda: _verify(header=VECTOR_MAC[:-1] + ("1" if VECTOR_MAC.endswith("0") else "0")),
            "secret": lambda: _verify(secret="APP_SECRET_INSTEAD"),
            "app_id": lambda: _verify(app_id="388613280878808645"),  # the oa_id variant
            "timestamp": lambda: _verify(timestamp="1717061839660"),
            "empty": lambda: _verify(header=""),
        }[change]
        assert tampered() is False

    def test_reserialised_json_does_not_verify(self) -> None:
        pretty = json.dumps(json.loads(VECTOR_BODY), indent=1).encode()
        assert not _verify(pretty)


class TestParsing:
    def test_user_send_text(self) -> None:
        event = parse_event(VECTOR_BODY)
        assert isinstance(event, UserSendText)
        assert (event.user_id, event.text, event.msg_id) == ("246845883529197922", "HS-2024-000123",
                                                             "96d3cdf3af150460909")
        assert event.key == "msg:96d3cdf3af150460909"
        assert event.occurred_at == datetime(2024, 5, 30, 9, 37, 19, 659000, tzinfo=UTC)

    def test_follow_unfollow_and_others(self) -> None:
        follow = parse_event(b'{"oa_id":"1","follower":{"id":"42"},"event_name":"follow",'
                             b'"source":"oa_profile","app_id":"9","timestamp":"1543979782740"}')
        assert isinstance(follow, Follow) and follow.user_id == "42" and follow.source == "oa_profile"
        assert follow.key == "follow:42:1543979782740"
        unfollow = parse_event(b'{"follower":{"id":"42"},"event_name":"unfollow",'
                               b'"timestamp":"1543979782741"}')
        assert isinstance(unfollow, Unfollow)
        seen = parse_event(b'{"event_name":"user_seen_message","timestamp":"1","sender":{"id":"OA"},'
                           b'"recipient":{"id":"42"},"message":{"msg_ids":["a"]}}')
        assert isinstance(seen, OtherEvent) and seen.user_id == "42"

    @pytest.mark.parametrize("info", [
        {"name": "Nguyễn Văn A", "phone": 84912345678, "full_address": {"user_address": "Số 1",
                                                                        "user_city": "Tuyên Quang"}},
        {"name": "Nguyễn Văn A", "phone": "0912345678", "address": "Số 1", "city": "Tuyên Quang"},
    ])
    def test_submit_info_in_both_shapes(self, info: dict[str, Any]) -> None:
        body = json.dumps({"event_name": "user_submit_info", "timestamp": "1540368141908",
                           "sender": {"id": "7"}, "recipient": {"id": "1"}, "info": info}).encode()
        event = parse_event(body)
        assert isinstance(event, UserSubmitInfo)
        assert (event.user_id, event.name, event.phone_84) == ("7", "Nguyễn Văn A", "84912345678")
        assert event.address == "Số 1, Tuyên Quang"

    @pytest.mark.parametrize("body", [b"not json", b"[]", b'{"event_name":"follow"}', b'{"timestamp":"1"}',
                                      b'{"event_name":"follow","timestamp":"soon"}'])
    def test_garbage_is_refused(self, body: bytes) -> None:
        with pytest.raises(ValueError):
            parse_event(body)

    def test_freshness_window(self) -> None:
        event = parse_event(VECTOR_BODY)
        assert is_fresh(event, now=event.occurred_at + timedelta(hours=12))
        assert not is_fresh(event, now=event.occurred_at + timedelta(hours=14))
        assert not is_fresh(event, now=event.occurred_at - timedelta(minutes=10))


class TestReplayAndUsers:
    def test_record_event_dedupes_and_prunes(self, session: Session, clock: ManualClock) -> None:
        now = clock.now()
        assert record_event(session, event_key="msg:1", event_name="user_send_text", user_id="7",
                            received_at=now)
        assert not record_event(session, event_key="msg:1", event_name="user_send_text", user_id="7",
                                received_at=now)
        session.commit()
        assert not record_event(session, event_key="msg:1", event_name="user_send_text", user_id="7",
                                received_at=now)
        assert record_event(session, event_key="msg:2", event_name="user_send_text", user_id="7",
                            received_at=now + timedelta(hours=1))
        session.commit()
        assert prune_events(session, before=now + timedelta(minutes=1)) == 1
        session.commit()
        assert record_event(session, event_key="msg:1", event_name="user_send_text", user_id="7",
                            received_at=now)

    def test_apply_event_keeps_zalo_user_current(self, session: Session, clock: ManualClock) -> None:
        def body(name: str, ts: datetime, **extra: Any) -> bytes:
            stamp = str(int(ts.timestamp() * 1000))
            return json.dumps({"event_name": name, "timestamp": stamp, **extra}).encode()

        t0 = clock.now()
        follow = parse_event(body("follow", t0, follower={"id": "7"}))
        apply_event(session, event=follow, now=t0)
        text = parse_event(body("user_send_text", t0 + timedelta(hours=1), sender={"id": "7"},
                                message={"msg_id": "m", "text": "hi"}))
        apply_event(session, event=text, now=t0)
        submit = parse_event(body("user_submit_info", t0 + timedelta(hours=2), sender={"id": "7"},
                                  info={"name": "B", "phone": "0912345678"}))

        def phone_hash(phone: str) -> str:
            return hmac.new(b"k", phone.encode(), hashlib.sha256).hexdigest()

        apply_event(session, event=submit, now=t0, phone_hash=phone_hash)
        unfollow = parse_event(body("unfollow", t0 + timedelta(hours=3), follower={"id": "7"}))
        apply_event(session, event=unfollow, now=t0)
        session.commit()
        user = session.get(ZaloUser, "7")
        assert user is not None and user.followed is False
        assert user.last_interaction_at is not None
        # Unfollowing is not an interaction.
        assert user.last_interaction_at.replace(tzinfo=UTC) == t0 + timedelta(hours=2)
        assert user.phone_hash == phone_hash("84912345678") and user.display_name == "B"


class TestEmulatorDeliveries:
    def test_signed_events_verify_and_retries_carry_num_retry(
        self, serve: Callable[[FastAPI], str], clock: ManualClock,
    ) -> None:
        received: list[tuple[bytes, dict[str, str]]] = []

        receiver = FastAPI()

        @receiver.post("/hook")
        async def hook(request: Request) -> Response:
            received.append((await request.body(), dict(request.headers)))
            return Response(status_code=500 if len(received) == 1 else 200)  # the first delivery fails

        hook_url = serve(receiver) + "/hook"
        emulator = create_emulator_app(app_id=APP_ID, app_secret=APP_SECRET, oa_secret_key=OA_SECRET,
                                       webhook_url=hook_url, now=clock.now, webhook_retry_delays=(0.05,))
        base = serve(emulator) + "/zalo-emulator"
        with requests.Session() as http:
            user = http.post(f"{base}/users", json={}, timeout=5).json()
            http.post(f"{base}/users/{user['user_id']}/follow", timeout=5).raise_for_status()
            http.post(f"{base}/users/{user['user_id']}/send-text", json={"text": "Tra cứu HS-1"}, timeout=5)
            http.post(f"{base}/users/{user['user_id']}/submit-info", json={"name": "C"}, timeout=5)
            assert emulator.state.webhooks.wait_idle(5)
            deliveries = http.get(f"{base}/webhook-deliveries", timeout=5).json()
        assert [d["status"] for d in deliveries] == ["delivered"] * 3
        assert len(received) == 4 and received[0][0] == received[1][0]  # the retry resends the same bytes
        assert received[1][1].get("num_retry") == "1"
        events = []
        for raw, headers in received[1:]:
            event = parse_event(raw)
            signature = headers["x-zevent-signature"]
            assert signature.startswith("mac=")
            assert verify_signature(app_id=APP_ID, raw_body=raw, timestamp=event.timestamp,
                                    oa_secret_key=OA_SECRET, signature_header=signature)
            assert not verify_signature(app_id=APP_ID, raw_body=raw, timestamp=event.timestamp,
                                        oa_secret_key=APP_SECRET, signature_header=signature)
            events.append(event)
        assert [type(e) for e in events] == [Follow, UserSendText, UserSubmitInfo]
        assert {e.user_id for e in events} == {user["user_id"]}
        assert events[1].text == "Tra cứu HS-1" and events[2].phone_84 == user["phone"]
