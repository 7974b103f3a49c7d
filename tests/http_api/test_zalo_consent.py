"""Issue 18 part 9 over HTTP and the Zalo emulator: a citizen stops Zalo notifications with DỪNG (a message
already waiting does not go either; the stopped messages are listed `unreachable` with the Vietnamese reason)
and turns them back on with NHẬN THÔNG BÁO; an unfollow stops customer-service messages and the bot, a
follow again restores them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from live import Citizen, live_server, wait_for
from sqlmodel import Session, col, select
from test_failed_messages import Admin, faults, message, texts_with
from test_zalo_citizen import ask
from test_zalo_e2e import Officials, follow_and_share
from test_zalo_handover import settled

from connectors.outbox import OutboxMessage
from connectors.zalo.users import get_user
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.zalo import consent

STOPPED_REASON = "zalo_notifications_stopped: Công dân đã tắt thông báo Zalo (nhắn DỪNG); tin không được gửi."


def row(wiring: Any, message_id: int) -> OutboxMessage:
    with Session(wiring.db) as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        return found


def unfollowed_at(wiring: Any, user_id: str) -> Any:
    with Session(wiring.db) as session:  # a short session per look: SQLite writers wait for readers' locks
        user = get_user(session, user_id=user_id)
        return user.unfollowed_at if user else None



def reply_to(citizen: Citizen, text: str, opening: str) -> str:
    """Send `text` and wait for the OA's answer that opens with `opening`. Not "the next message": a part of
    an earlier notification (the receipt file) may still be arriving, and taking it for the answer would send
    the next dossier message before the keyword was handled."""
    before = len(citizen.inbox())
    citizen.act("send-text", {"text": text})
    answers = wait_for(lambda: [str(m.get("text")) for m in citizen.inbox()[before:]
                                if str(m.get("text") or "").startswith(opening)])
    assert answers, f"no answer to {text!r}: {citizen.inbox()[before:]}"
    return answers[-1]


class TestStopAndResume:
    def test_stop_then_a_dossier_event_is_not_sent_and_resume_brings_the_next(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            officials = Officials(base)
            admin, desk = Admin(base, officials), officials.headers("mot_cua")
            code = officials.intake("0912345678", "Nguyễn Văn An")
            assert wait_for(lambda: texts_with(citizen, "đã được tiếp nhận"))

            stop_answer = reply_to(citizen, "DỪNG", "Đã tắt thông báo")
            with Session(wiring.db) as session:
                user = get_user(session, user_id=citizen.user_id)
                assert user is not None
                stopped_at = user.notifications_stopped_at
            before = len(citizen.inbox())
            stopped = message(base, desk, code, "Mời ông/bà mang bản chính giấy phép PCCC khi nhận kết quả.")
            assert wait_for(lambda: row(wiring, stopped).status == "unreachable"), row(wiring, stopped)
            listed = [m for m in admin.items("unreachable") if m["id"] == stopped]
            on_dossier = [m["problems"] for m in requests.get(f"{base}/api/v1/dossiers/{code}/messages",
                                                                headers=desk, timeout=10).json()["items"]
                          if m["id"] == stopped]
            inbox_while_stopped = citizen.inbox()[before:]

            resume_answer = reply_to(citizen, "nhan thong bao", "Đã bật lại thông báo")
            resumed = message(base, desk, code, "Đề nghị ông/bà bổ sung bản sao sơ đồ phòng hát.")
            assert wait_for(lambda: texts_with(citizen, "bản sao sơ đồ phòng hát")), citizen.inbox()[-3:]
            with Session(wiring.db) as session:
                user = get_user(session, user_id=citizen.user_id)
                assert user is not None
                after = (user.notifications_stopped_at, user.notifications_resumed_at)
                choices = [e.action for e in session.exec(select(AuditEntry).where(
                    AuditEntry.actor == f"zalo:{citizen.user_id}",
                    col(AuditEntry.action).startswith("zalo.notifications")))]

        assert stop_answer == consent.STOPPED == (
            "Đã tắt thông báo qua Zalo. Từ nay ông/bà sẽ không nhận tin nhắn thông báo về hồ sơ và phản ánh, kiến "
            "nghị qua Zalo (kể cả tin gửi theo số điện thoại); đây là tin nhắn thông báo cuối cùng. Hồ sơ vẫn được "
            "giải quyết bình thường và ông/bà vẫn có thể tra cứu tại đây. Để nhận lại thông báo, nhắn NHẬN THÔNG BÁO.")
        assert resume_answer == consent.RESUMED == (
            "Đã bật lại thông báo qua Zalo. Ông/bà sẽ nhận lại thông báo về các bước giải quyết hồ sơ và câu trả lời "
            "phản ánh, kiến nghị tại đây. Để tắt thông báo, nhắn DỪNG.")
        assert choices == ["zalo.notifications_stop", "zalo.notifications_resume"]
        assert stopped_at is not None and stopped_at.tzinfo is not None
        assert after[0] is None and after[1] is not None and after[1] >= stopped_at
        assert inbox_while_stopped == [], inbox_while_stopped  # nothing at all: no CS, no template
        assert [(m["state"], m["reason"], m["event"]) for m in listed] == [("unreachable", STOPPED_REASON, "TIN_NHAN")]
        assert on_dossier == [["Tin nhắn không đến được công dân: công dân đã tắt thông báo Zalo (nhắn DỪNG)."]]
        assert row(wiring, stopped).channel_used is None and row(wiring, resumed).status == "sent"

    def test_a_message_waiting_when_the_citizen_stops_does_not_go(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            officials = Officials(base)
            code = officials.intake("0912345678", "Nguyễn Văn An")
            assert wait_for(lambda: texts_with(citizen, "đã được tiếp nhận"))
            # The receipt file follows the text: failed under the faults, it would wait for its retry (the
            # test clock stands still) and hold back the dossier's next message, never tried.
            assert wait_for(lambda: settled(wiring))
            faults(base, 1.0, ["http_500"])  # Zalo fails for now: the message waits for its retry
            waiting = message(base, officials.headers("mot_cua"), code, "Mời ông/bà đến nhận kết quả sớm.")
            assert wait_for(lambda: row(wiring, waiting).attempts == 1 and row(wiring, waiting).status == "pending"), \
                row(wiring, waiting)
            faults(base, 0, [])
            # accents and case as typed: still the keyword
            assert reply_to(citizen, "Hủy thông báo", "Đã tắt thông báo") == consent.STOPPED
            clock.advance(timedelta(hours=2))  # the retry is due
            assert wait_for(lambda: row(wiring, waiting).status == "unreachable"), row(wiring, waiting)
            delivered = texts_with(citizen, "đến nhận kết quả sớm")

        assert delivered == []
        assert row(wiring, waiting).last_error == STOPPED_REASON


class TestUnfollow:
    def test_unfollowed_gets_no_cs_and_no_bot_answer_follow_again_restores_both(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            officials = Officials(base)
            desk = officials.headers("mot_cua")
            code = officials.intake("0912345678", "Nguyễn Văn An")
            assert wait_for(lambda: texts_with(citizen, "đã được tiếp nhận"))

            citizen.act("unfollow")
            assert wait_for(lambda: unfollowed_at(wiring, citizen.user_id) is not None)
            before = len(citizen.inbox())
            citizen.act("send-text", {"text": "tra cứu"})  # the bot stays quiet for an unfollowed account
            asked = wait_for(lambda: [d for d in requests.get(f"{base}/zalo-emulator/webhook-deliveries",
                                                              timeout=5).json()
                                      if d["event_name"] == "user_send_text" and d["status"] == "delivered"
                                      and d["event"]["message"]["text"] == "tra cứu"])
            reply_key = f"reply:msg:{asked[-1]['event']['message']['msg_id']}"
            unfollowed = message(base, desk, code, "Mời ông/bà mang bản chính giấy phép PCCC khi nhận kết quả.")
            assert wait_for(lambda: row(wiring, unfollowed).status in ("sent", "unreachable", "dead"))
            after_unfollow = citizen.inbox()[before:]

            clock.advance(timedelta(seconds=5))  # a new follow event (Zalo's events of one instant are one event)
            citizen.act("follow")
            assert wait_for(lambda: texts_with(citizen, "Chào mừng") and len(texts_with(citizen, "Chào mừng")) == 2)
            again = message(base, desk, code, "Đề nghị ông/bà bổ sung bản sao sơ đồ phòng hát.")
            assert wait_for(lambda: row(wiring, again).status == "sent"), row(wiring, again)
            answered = ask(citizen, "tra cứu")
            with Session(wiring.db) as session:
                quiet = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == reply_key)).all()

        # No CS and no bot answer; the template by phone still reaches the citizen (ZALO_API.md §4.8).
        assert [m.get("channel") for m in after_unfollow] == ["template_phone"], after_unfollow
        assert row(wiring, unfollowed).channel_used == "template_phone"
        assert row(wiring, again).channel_used == "cs"
        assert asked and quiet == []  # the text was received (200) and nothing was queued to answer it
        assert answered.startswith("Hồ sơ của ông/bà:") and code in answered


class TestKeywords:
    def test_accents_case_and_punctuation_are_ignored_longer_texts_are_not_keywords(
        self, app_client: Any, clock: ManualClock
    ) -> None:
        wiring = app_client.app.state.wiring
        said = {}
        with Session(wiring.db) as session:
            for text in ("DUNG", "dừng!", "Hủy Thông Báo", "NHẬN THÔNG BÁO", "nhan thong bao.",
                         "Dừng xử lý hồ sơ giúp tôi", "nhận"):
                said[text] = consent.answer(session, user_id="4512345678901234567", text=text, now=clock.now())
            session.commit()
        assert said == {"DUNG": consent.STOPPED, "dừng!": consent.STOPPED, "Hủy Thông Báo": consent.STOPPED,
                        "NHẬN THÔNG BÁO": consent.RESUMED, "nhan thong bao.": consent.RESUMED,
                        "Dừng xử lý hồ sơ giúp tôi": None, "nhận": None}
