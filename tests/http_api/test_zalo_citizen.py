"""Issue 7 through the real Zalo webhook: a citizen texts the OA in the emulator (signed events to our
server) and looks a dossier up by code, by ID number and by name, is refused without the right second
factor, and sends feedback that officials answer — the answer arrives in the citizen's Zalo inbox."""

from __future__ import annotations

from typing import Any

import requests
from live import Citizen, live_server, wait_for
from test_zalo_e2e import Officials

from workflows.core.clock import ManualClock, to_local
from workflows.core.config import Settings


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
