"""Issue 18 part 3, Zalo's sending rules, on SQLite and PostgreSQL: the emulator (over HTTP) answers each rule
with Zalo's real code, the production client and relay keep the message waiting — not dead, no attempt
spent, `next_attempt_at` the exact Vietnam-time moment the rule lifts, the reason readable by an
administrator — and once the rule lifts the message is sent exactly once."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select
from test_outbox import Citizens
from zalo_world import ZaloWorld

from connectors.outbox import PENDING, SENT, UNREACHABLE, OutboxMessage, OutboxRelay, enqueue
from connectors.timeutil import utc
from connectors.zalo.emulator import DEFAULT_TEMPLATE_ID
from connectors.zalo.errors import ZaloDeferred, error_for
from connectors.zalo.sender import ZaloSender
from connectors.zalo.users import record_user
from workflows.core.clock import VN_TZ
from workflows.notifications.queries import list_messages
from workflows.notifications.schemas import MessageState

TEMPLATE = {"ten": "Nguyễn Văn A", "ma_ho_so": "HS-1", "trang_thai": "Đã tiếp nhận", "cta_text": "Tra cứu",
            "cta_url": "https://x.vn/1"}


def vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Vietnam wall-clock time as the aware UTC instant the database stores."""
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)




def make_relay(zalo: ZaloWorld, citizens: Citizens, **kwargs: Any) -> OutboxRelay:
    sender = ZaloSender(client=zalo.client, db_engine=zalo.db, now=zalo.clock.now,
                        load_attachment=lambda doc_id: (f"{doc_id}.pdf", b"%PDF"),
                        default_template_id=DEFAULT_TEMPLATE_ID)
    return OutboxRelay(db_engine=zalo.db, sender=sender, resolve_recipient=citizens, now=zalo.clock.now,
                       max_attempts=3, base_delay=10.0, max_delay=60.0, rng=random.Random(3), **kwargs)


def put(zalo: ZaloWorld, key: str, *, recipient: str, subject: str | None = None,
        template: dict[str, Any] | None = TEMPLATE) -> int:
    with Session(zalo.db, expire_on_commit=False) as session:
        row = enqueue(session, idempotency_key=key, kind="dossier_event", subject_ref=subject or key,
                      recipient_ref=recipient, now=zalo.clock.now(),
                      payload={"event": "tiep_nhan", "text": f"Tin {key}", "template": template})
        session.commit()
        assert row is not None and row.id is not None
        return row.id


def row(zalo: ZaloWorld, message_id: int) -> OutboxMessage:
    with Session(zalo.db) as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        return found


def waiting_reasons(zalo: ZaloWorld) -> dict[int, str | None]:
    """What GET /api/v1/admin/messages?state=waiting shows (the same query behind the endpoint)."""
    with Session(zalo.db) as session:
        items, _ = list_messages(session, state=MessageState.WAITING, page=1, page_size=100)
    return {item.id: item.reason for item in items}


def rules(zalo: ZaloWorld, **body: Any) -> dict[str, Any]:
    response = zalo.http.post(zalo.url("/rules"), json=body, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


def phone_citizen(zalo: ZaloWorld, citizens: Citizens, ref: str) -> dict[str, Any]:
    user = zalo.user(follow=False)
    citizens.add(ref, phone=user["phone"])
    return user


def uid_citizen_outside_cs_window(zalo: ZaloWorld, citizens: Citizens, ref: str) -> dict[str, Any]:
    """Linked, followed 8 days ago: no CS message any more, a ZBS template by user id still."""
    user = zalo.user()
    with Session(zalo.db) as session:
        record_user(session, user_id=user["user_id"], now=zalo.clock.now(), followed=True,
                    interacted_at=zalo.clock.now())
        session.commit()
    zalo.clock.advance(timedelta(days=8))
    citizens.add(ref, user_id=user["user_id"])
    return user


def at(zalo: ZaloWorld, instant: datetime) -> None:
    zalo.clock.set(instant)


class TestNightWindow:
    @pytest.mark.parametrize(("channel", "code"), [("template_phone", -133), ("template_uid", -234)])
    def test_at_22_30_the_template_waits_until_06_00_then_goes_once(self, zalo: ZaloWorld, channel: str,
                                                                     code: int) -> None:
        citizens = Citizens()
        if channel == "template_phone":
            user = phone_citizen(zalo, citizens, "c1")
        else:
            user = uid_citizen_outside_cs_window(zalo, citizens, "c1")
        rules(zalo, night_templates=["*"])  # this OA's templates are night-restricted
        at(zalo, vn(2026, 12, 2, 22, 30))
        message_id = put(zalo, "HS-1:tiep_nhan:1", recipient="c1")
        relay = make_relay(zalo, citizens)

        stats = relay.run_once()
        assert (stats.deferred, stats.sent, stats.dead) == (1, 0, 0)
        waiting = row(zalo, message_id)
        assert waiting.status == PENDING and waiting.attempts == 0
        assert utc(waiting.next_attempt_at) == vn(2026, 12, 3, 6, 0)  # type: ignore[arg-type]
        reason = waiting_reasons(zalo)[message_id]
        assert reason is not None and reason.startswith("waiting:night_window: ")
        assert ("Zalo không cho gửi tin mẫu ban đêm (22:00–06:00); tin nhắn chờ đến 06:00 ngày 03/12/2026 "
                "để gửi.") in reason
        assert f"[zalo {code}]" in reason

        at(zalo, vn(2026, 12, 3, 5, 59))
        assert relay.run_once().claimed == 0
        assert zalo.inbox(user_id=user["user_id"]) == []

        at(zalo, vn(2026, 12, 3, 6, 0))
        assert relay.run_once().sent == 1
        assert relay.run_once().claimed == 0
        sent = row(zalo, message_id)
        assert sent.status == SENT and sent.attempts == 1 and sent.channel_used == channel
        assert [m["channel"] for m in zalo.inbox(user_id=user["user_id"])] == [channel]

    def test_the_emulator_clock_can_be_set_and_a_refusal_in_our_daytime_is_asked_again_soon(
            self, zalo: ZaloWorld) -> None:
        user = zalo.user(follow=False)
        rules(zalo, night_templates=[DEFAULT_TEMPLATE_ID])
        clock = zalo.http.post(zalo.url("/clock"), json={"set": "2026-11-24T23:15:00+07:00"}, timeout=5).json()
        assert clock["vietnam_time"] == "2026-11-24T23:15:00+07:00"
        assert zalo.http.get(zalo.url("/rules"), timeout=5).json()["vietnam_date"] == "2026-11-24"
        with pytest.raises(ZaloDeferred) as refused:
            zalo.client.send_template_by_phone(user["phone"], DEFAULT_TEMPLATE_ID, TEMPLATE, "t-1")
        # Our clock says 09:00: Zalo's night and ours disagree, so ask again in a quarter of an hour.
        assert refused.value.code == -133 and refused.value.rule == "night_window"
        assert refused.value.not_before == zalo.clock.now() + timedelta(minutes=15)
        zalo.http.post(zalo.url("/clock"), json={"advance_seconds": 7 * 3600}, timeout=5).raise_for_status()
        assert zalo.client.send_template_by_phone(user["phone"], DEFAULT_TEMPLATE_ID, TEMPLATE, "t-2")
        assert len(zalo.inbox(phone=user["phone"])) == 1


class TestDailyQuota:
    def test_over_the_quota_waits_for_vietnam_midnight_then_goes_once(self, zalo: ZaloWorld) -> None:
        citizens = Citizens()
        users = [phone_citizen(zalo, citizens, f"c{i}") for i in range(3)]
        rules(zalo, daily_quota=2)
        at(zalo, vn(2026, 11, 24, 16, 0))
        ids = [put(zalo, f"HS-{i}:tiep_nhan:1", recipient=f"c{i}") for i in range(3)]
        relay = make_relay(zalo, citizens, concurrency=1)

        stats = relay.run_once()
        assert (stats.sent, stats.deferred, stats.dead) == (2, 1, 0)
        waiting = row(zalo, ids[2])
        assert waiting.status == PENDING and waiting.attempts == 0
        assert utc(waiting.next_attempt_at) == vn(2026, 11, 25, 0, 0)  # type: ignore[arg-type]
        reason = waiting_reasons(zalo)[ids[2]]
        assert reason is not None and reason.startswith("waiting:daily_quota: ") and "[zalo -144]" in reason
        assert "OA đã dùng hết hạn mức tin mẫu Zalo trong ngày; tin nhắn chờ đến 00:00 ngày 25/11/2026" in reason
        assert rules(zalo)["remaining_today"] == 0

        at(zalo, vn(2026, 11, 24, 23, 59))
        assert relay.run_once().claimed == 0
        at(zalo, vn(2026, 11, 25, 0, 0))  # Zalo's day turns: the quota is new
        assert relay.run_once().sent == 1
        assert [row(zalo, i).status for i in ids] == [SENT, SENT, SENT]
        assert [len(zalo.inbox(phone=u["phone"])) for u in users] == [1, 1, 1]
        assert rules(zalo)["sent_today"] == 1

    def test_at_the_boundary_nothing_is_sent_twice(self, zalo: ZaloWorld) -> None:
        """Five messages at once against a quota of three, four at a time: three go, two wait; the quota
        renewed (by Zalo, here the control endpoint), the two go and none of the five is repeated."""
        citizens = Citizens()
        users = [phone_citizen(zalo, citizens, f"c{i}") for i in range(5)]
        rules(zalo, daily_quota=3)
        ids = [put(zalo, f"HS-{i}:tiep_nhan:1", recipient=f"c{i}") for i in range(5)]
        relay = make_relay(zalo, citizens, concurrency=4)

        stats = relay.run_once()
        assert (stats.sent, stats.deferred) == (3, 2)
        assert zalo.stats()["messages"] == 3
        deferred = [i for i in ids if row(zalo, i).status == PENDING]
        assert len(deferred) == 2 and all(row(zalo, i).attempts == 0 for i in deferred)
        assert relay.run_once().claimed == 0  # waiting, not retried

        rules(zalo, reset_quota=True)
        at(zalo, vn(2026, 11, 25, 0, 0))
        assert relay.run_once().sent == 2
        for _ in range(3):
            assert relay.run_once().claimed == 0
        assert zalo.stats()["messages"] == 5
        assert [len(zalo.inbox(phone=u["phone"])) for u in users] == [1] * 5
        assert all(row(zalo, i).attempts == 1 for i in ids)

    def test_the_same_citizen_over_its_daily_limit_waits_for_midnight(self, zalo: ZaloWorld) -> None:
        citizens = Citizens()
        user = phone_citizen(zalo, citizens, "c1")
        rules(zalo, user_daily_quota=1)
        first = put(zalo, "HS-1:tiep_nhan:1", recipient="c1", subject="HS-1")
        second = put(zalo, "HS-1:bo_sung:1", recipient="c1", subject="HS-1")
        relay = make_relay(zalo, citizens)
        stats = relay.run_once()
        assert (stats.sent, stats.deferred) == (1, 1)
        assert row(zalo, first).status == SENT
        assert utc(row(zalo, second).next_attempt_at) == vn(2026, 11, 25, 0, 0)  # type: ignore[arg-type]
        assert "[zalo -1472]" in (waiting_reasons(zalo)[second] or "")
        at(zalo, vn(2026, 11, 25, 0, 0))
        assert relay.run_once().sent == 1
        assert len(zalo.inbox(phone=user["phone"])) == 2


class TestWallet:
    def test_an_empty_wallet_waits_for_a_top_up_without_spending_attempts(self, zalo: ZaloWorld) -> None:
        citizens = Citizens()
        user = phone_citizen(zalo, citizens, "c1")
        rules(zalo, wallet_balance=0, price_phone=300)
        message_id = put(zalo, "HS-1:tiep_nhan:1", recipient="c1")
        relay = make_relay(zalo, citizens)
        start = zalo.clock.now()

        for hour in range(6):  # twice max_attempts: a message waiting for money never dies
            assert relay.run_once().deferred == 1
            waiting = row(zalo, message_id)
            assert waiting.status == PENDING and waiting.attempts == 0
            assert utc(waiting.next_attempt_at) == start + timedelta(hours=hour + 1)  # type: ignore[arg-type]
            assert relay.run_once().claimed == 0
            zalo.clock.advance(timedelta(hours=1))
        reason = waiting_reasons(zalo)[message_id]
        assert reason is not None and reason.startswith("waiting:wallet_empty: ") and "[zalo -115]" in reason
        assert ("Tài khoản ZBS (Zalo Cloud) của OA hết tiền; tin nhắn chờ quản trị viên nạp tiền, tự thử lại "
                "mỗi giờ (lần tới lúc 15:00 ngày 24/11/2026).") in reason
        assert zalo.inbox(phone=user["phone"]) == []

        assert rules(zalo, top_up=1000)["wallet_balance"] == 1000
        assert relay.run_once().sent == 1
        assert relay.run_once().claimed == 0
        assert row(zalo, message_id).status == SENT and row(zalo, message_id).attempts == 1
        assert len(zalo.inbox(phone=user["phone"])) == 1
        assert rules(zalo)["wallet_balance"] == 700  # the message was debited once


class TestCustomerServiceWindow:
    def test_a_window_closed_at_zalo_falls_back_to_the_template(self, zalo: ZaloWorld) -> None:
        """Our record says the citizen wrote a day ago; Zalo knows the last interaction is 8 days old and
        answers -230: the same message goes as a ZBS template by user id, once."""
        citizens = Citizens()
        user = zalo.user()
        zalo.clock.advance(timedelta(days=8))
        with Session(zalo.db) as session:
            record_user(session, user_id=user["user_id"], now=zalo.clock.now(), followed=True,
                        interacted_at=zalo.clock.now() - timedelta(days=1))
            session.commit()
        citizens.add("c1", user_id=user["user_id"])
        message_id = put(zalo, "HS-1:tiep_nhan:1", recipient="c1")
        assert make_relay(zalo, citizens).run_once().sent == 1
        assert row(zalo, message_id).channel_used == "template_uid"
        assert [m["channel"] for m in zalo.inbox(user_id=user["user_id"])] == ["template_uid"]

    def test_a_window_closed_without_a_template_says_why_in_vietnamese(self, zalo: ZaloWorld) -> None:
        citizens = Citizens()
        user = zalo.user()
        with Session(zalo.db) as session:
            record_user(session, user_id=user["user_id"], now=zalo.clock.now(), followed=True,
                        interacted_at=zalo.clock.now())
            session.commit()
        rules(zalo, force=["cs_window"])  # Zalo answers -230 whatever we believe
        citizens.add("c1", user_id=user["user_id"])
        message_id = put(zalo, "HS-1:tiep_nhan:1", recipient="c1", template=None)
        assert make_relay(zalo, citizens).run_once().unreachable == 1
        done = row(zalo, message_id)
        assert done.status == UNREACHABLE and zalo.inbox(user_id=user["user_id"]) == []
        assert done.last_error is not None and done.last_error.startswith("outside_window: ")
        assert ("Công dân không tương tác với OA trong 7 ngày qua nên Zalo không nhận tin tư vấn (mã -230/-232), "
                "và không có tin mẫu ZBS nào gửi được thay") in done.last_error

    def test_the_paid_part_of_the_window_waits_for_a_top_up_then_is_debited(self, zalo: ZaloWorld) -> None:
        """Three days after the citizen's last message a CS message is billed (48 h–7 d): with an empty
        wallet Zalo answers -321 and the message waits; topped up, it goes once as a CS message."""
        citizens = Citizens()
        user = zalo.user()
        with Session(zalo.db) as session:
            record_user(session, user_id=user["user_id"], now=zalo.clock.now(), followed=True,
                        interacted_at=zalo.clock.now())
            session.commit()
        zalo.clock.advance(timedelta(days=3))
        rules(zalo, wallet_balance=50, price_cs=100)
        citizens.add("c1", user_id=user["user_id"])
        message_id = put(zalo, "HS-1:tiep_nhan:1", recipient="c1")
        relay = make_relay(zalo, citizens)
        assert relay.run_once().deferred == 1
        waiting = row(zalo, message_id)
        assert waiting.attempts == 0 and "[zalo -321]" in (waiting.last_error or "")
        assert utc(waiting.next_attempt_at) == zalo.clock.now() + timedelta(hours=1)  # type: ignore[arg-type]
        rules(zalo, top_up=100)
        zalo.clock.advance(timedelta(hours=1))
        assert relay.run_once().sent == 1
        assert row(zalo, message_id).channel_used == "cs"
        assert [m["channel"] for m in zalo.inbox(user_id=user["user_id"])] == ["cs"]
        assert rules(zalo)["wallet_balance"] == 50


def test_the_control_endpoint_refuses_an_unknown_rule(zalo: ZaloWorld) -> None:
    response = zalo.http.post(zalo.url("/rules"), json={"force": ["weekend"]}, timeout=5)
    assert response.status_code == 422 and "weekend" in response.text


def test_every_waiting_row_is_selected_by_its_rule(zalo: ZaloWorld) -> None:
    """The `waiting:<rule>` prefix is what the metric and an administrator filter on."""
    citizens = Citizens()
    phone_citizen(zalo, citizens, "c1")
    rules(zalo, force=["wallet_empty"])
    put(zalo, "HS-1:tiep_nhan:1", recipient="c1")
    make_relay(zalo, citizens).run_once()
    with Session(zalo.db) as session:
        errors = session.exec(select(OutboxMessage.last_error)).all()
    assert [e.split(":", 2)[1] for e in errors if e] == ["wallet_empty"]


@pytest.mark.parametrize(("code", "refused_at", "waits_until"), [
    (-133, vn(2026, 11, 24, 22, 0), vn(2026, 11, 25, 6, 0)),
    (-133, vn(2026, 11, 25, 3, 30), vn(2026, 11, 25, 6, 0)),  # after midnight: the same morning
    (-234, vn(2026, 12, 31, 23, 59), vn(2027, 1, 1, 6, 0)),
    (-144, vn(2026, 11, 24, 0, 0), vn(2026, 11, 25, 0, 0)),
    (-211, vn(2026, 11, 30, 23, 59), vn(2026, 12, 1, 0, 0)),
    (-1472, vn(2026, 11, 24, 8, 0), vn(2026, 11, 25, 0, 0)),
    (-321, vn(2026, 11, 24, 23, 30), vn(2026, 11, 25, 0, 30)),
])
def test_each_code_waits_until_the_vietnam_time_its_rule_lifts(code: int, refused_at: datetime,
                                                                waits_until: datetime) -> None:
    refused = error_for(code, "refused", now=refused_at)
    assert isinstance(refused, ZaloDeferred) and refused.not_before == waits_until
    assert refused.not_before.tzinfo is not None and refused.not_before.utcoffset() == timedelta(0)
