"""Issue 7 through the real Zalo webhook: a citizen texts the OA in the emulator (signed events to our
server) and looks a dossier up by code, by ID number and by name, is refused without the right second
factor, and sends feedback that officials answer — the answer arrives in the citizen's Zalo inbox."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests
from live import Citizen, live_server, wait_for
from sqlmodel import Session, select
from test_zalo_e2e import Officials, outbox_rows

from connectors.zalo.webhook import sign
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock, to_local
from workflows.core.config import Settings
from workflows.zalo.models import PhoneProof


def ask(citizen: Citizen, text: str) -> str:
    """Send `text` and wait for the OA's next reply."""
    before = len(citizen.inbox())
    citizen.act("send-text", {"text": text})
    messages = wait_for(lambda: citizen.inbox()[before:] or None)
    assert messages, f"no reply to {text!r}"
    return str(messages[-1].get("text") or "")


def answer_feedback(base: str, officials: Officials, code: str) -> None:
    for user, data in (("mot_cua", {"phan_loai": "ho_so"}), ("lanh_dao_phong", {"chuyen_vien": "chuyen_vien"}),
                       ("chuyen_vien", {"tra_loi": "Sở đã kiểm tra, hồ sơ sẽ có kết quả trong tuần này."})):
        headers = officials.headers(user)
        [task] = requests.get(f"{base}/api/v1/feedback/{code}", headers=headers, timeout=10).json()["open_tasks"]
        response = requests.post(f"{base}/api/v1/feedback/{code}/tasks/{task['id']}/complete",
                                 json={"data": data}, headers=headers, timeout=30)
        assert response.status_code == 200, response.text


class TestCitizenOnZalo:
    def test_lookup_three_ways_and_feedback_round_trip(self, settings: Settings, clock: ManualClock, db: Any) -> None:
        with live_server(settings, clock) as (base, _wiring):
            officials = Officials(base)
            code = officials.intake("0912345678", "Nguyễn Văn An", id_number="008190012345")
            citizen = Citizen(base, "84900000001")  # another phone: nothing is linked by phone
            citizen.act("follow")
            wait_for(lambda: len(citizen.inbox()) >= 2)

            refused = ask(citizen, f"{code} 9999")
            assert refused.startswith("Không tìm thấy"), refused
            by_code = ask(citizen, f"{code} 5678")
            assert code in by_code and "tiếp nhận" in by_code.lower(), by_code

            wrong_factor = ask(citizen, "tra cứu cccd 008190012345 1111")
            assert code not in wrong_factor, wrong_factor
            # The account is now linked to the dossier (code + factor above), which is a second factor too.
            by_id = ask(citizen, "tra cứu cccd 008190012345 5678")
            assert code in by_id, by_id

            day = to_local(clock.now()).strftime("%d/%m/%Y")
            by_name = ask(citizen, f"tra cứu tên Nguyễn Văn An; VHTTDL-KARAOKE; {day}")
            assert code not in by_name and code.rsplit("-", 1)[0] in by_name, by_name
            assert "Nguyễn Văn An" not in by_name, "names are masked"

            reply = ask(citizen, "phản ánh Cán bộ hướng dẫn chưa rõ ràng về giấy tờ cần nộp")
            feedback_code = next(word.strip(".,:") for word in reply.split() if word.startswith("PAKN-"))
            answer_feedback(base, officials, feedback_code)
            answered = wait_for(lambda: [m for m in citizen.inbox() if "hồ sơ sẽ có kết quả" in str(m.get("text"))])
            assert answered, citizen.inbox()[-3:]
            assert all("0912345678" not in str(m) and "008190012345" not in str(m) for m in citizen.inbox())


class TestPhoneProof:
    def test_the_code_expires_and_codes_are_bounded(self, settings: Settings, clock: ManualClock, db: Any) -> None:
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84912345678")
            citizen.act("follow")
            wait_for(lambda: len(citizen.inbox()) >= 2)
            citizen.act("submit-info", {"phone": citizen.phone_84, "name": "Nguyễn Văn An"})
            [code] = wait_for(citizen.codes)
            wait_for(lambda: [m for m in citizen.inbox() if str(m.get("text")).startswith("Mã xác thực gồm")])
            clock.advance(timedelta(minutes=10, seconds=1))
            before = len(citizen.inbox())
            citizen.act("send-text", {"text": code})
            answer = wait_for(lambda: len(citizen.inbox()) >= before + 2 and citizen.inbox()[before:])
            assert answer[0]["text"] == ("Mã xác thực đã hết hạn. Vui lòng nhắn LIÊN KẾT và chia sẻ lại số điện "
                                         "thoại để nhận mã mới.")
            assert answer[1]["type"] == "request_user_info", answer  # the card to share the phone again
            assert ask(citizen, "tra cứu").startswith("Chưa có hồ sơ nào liên kết")
            for count in (2, 3):  # two more codes this hour (three in all), then the account must wait
                clock.advance(timedelta(seconds=5))  # Zalo's events of one second apart are distinct events
                citizen.act("submit-info", {"phone": citizen.phone_84})
                wait_for(lambda n=count: len(citizen.codes()) == n)  # a code replaced before it left is not sent
            assert wait_for(lambda: len(citizen.codes()) == 3 and len(
                [m for m in citizen.inbox() if str(m.get("text")).startswith("Mã xác thực gồm")]) == 3), (
                [(m.get("channel"), str(m.get("text"))[:30]) for m in citizen.inbox()], outbox_rows(wiring))
            before = len(citizen.inbox())
            citizen.act("send-text", {"text": "Liên kết"})
            card = wait_for(lambda: len(citizen.inbox()) >= before + 2 and citizen.inbox()[before:])
            assert card[0]["text"] == "Vui lòng chia sẻ số điện thoại đã khai trong hồ sơ để nhận mã xác thực."
            assert card[1]["type"] == "request_user_info" and card[1]["title"] == "Liên kết hồ sơ với Zalo"
            before = len(citizen.inbox())
            clock.advance(timedelta(seconds=5))
            citizen.act("submit-info", {"phone": citizen.phone_84})
            limited = wait_for(lambda: citizen.inbox()[before:])
            assert limited[-1]["text"].startswith("Đã gửi quá nhiều mã xác thực; vui lòng thử lại sau "), limited
            assert len(citizen.codes()) == 3
            # The latest code still proves the phone; earlier ones were replaced.
            assert ask(citizen, citizen.codes()[1]).startswith("Mã xác thực không đúng; ông/bà còn 4 lần thử.")
            assert ask(citizen, citizen.codes()[-1]).startswith("Đã xác thực số điện thoại 0912***678.")


class TestPhoneProofRace:
    def test_guesses_sent_at_once_each_spend_a_try(self, settings: Settings, clock: ManualClock, db: Any) -> None:
        """Zalo delivers an account's messages in parallel: twelve wrong codes sent at once are checked at
        most five times (the tries of one code), and the right code is refused after them."""
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84912345678")
            citizen.act("follow")
            citizen.act("submit-info", {"phone": citizen.phone_84, "name": "Nguyễn Văn An"})
            [code] = wait_for(citizen.codes)
            wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 13)]
            zalo = wiring.settings.zalo

            def send_at_once(n_text: tuple[int, str]) -> None:  # as Zalo would: signed events, in parallel
                n, text = n_text
                timestamp = str(int(clock.now().timestamp() * 1000) + n)
                raw = json.dumps({
                    "app_id": zalo.app_id, "user_id_by_app": citizen.user_id, "event_name": "user_send_text",
                    "timestamp": timestamp, "sender": {"id": citizen.user_id}, "recipient": {"id": zalo.oa_id},
                    "message": {"text": text, "msg_id": f"race{n}"}}).encode()
                mac = sign(app_id=zalo.app_id, raw_body=raw, timestamp=timestamp,
                           oa_secret_key=zalo.oa_secret_key.get_secret_value())
                response = requests.post(f"{base}/api/v1/zalo/webhook", data=raw, timeout=30, headers={
                    "content-type": "application/json", "X-ZEvent-Signature": f"mac={mac}"})
                assert response.status_code == 200, response.text

            with ThreadPoolExecutor(max_workers=12) as pool:
                list(pool.map(send_at_once, enumerate(wrong)))
            wait_for(lambda: len([m for m in citizen.inbox() if str(m.get("text")).startswith(
                ("Mã xác thực không đúng", "Không có mã xác thực"))]) == 12)
            with Session(wiring.db) as session:
                checked = session.exec(select(AuditEntry).where(
                    AuditEntry.action == "zalo.phone_proof_failed")).all()
                proof = session.exec(select(PhoneProof)).one()
            assert len(checked) == 5 and proof.attempts == 5 and proof.status == "failed"
            assert ask(citizen, code).startswith("Không có mã xác thực nào đang chờ.")
