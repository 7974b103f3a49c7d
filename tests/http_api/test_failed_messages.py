"""Issue 18 part 4 over HTTP and the Zalo emulator: messages Zalo refused (dead), a citizen Zalo cannot reach
(unreachable) and a message waiting for its retry are listed for administrators with the reason as stored
and the recipient masked; once the cause is fixed, resending one, then all of a state, delivers each
message exactly once; a delivered message is never resent; the counts are a Prometheus gauge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from fastapi.testclient import TestClient
from flows import Login, intake
from live import Citizen, live_server, wait_for
from sqlmodel import Session, col, select
from test_zalo_e2e import Officials, follow_and_share

from connectors.outbox import OutboxMessage
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock, to_local
from workflows.core.config import Settings

API = "/api/v1/admin/messages"
REFUSED = "[zalo -201] Injected error"  # what the relay stores for Zalo's "invalid parameter"
ACCEPTED = "đã được tiếp nhận"


class Admin:
    """The administrator's calls, over HTTP."""

    def __init__(self, base: str, officials: Officials) -> None:
        self.base = base
        self.headers = officials.headers("quan_tri")

    def listing(self, state: str, **params: Any) -> requests.Response:
        return requests.get(f"{self.base}{API}", params={"state": state, **params}, headers=self.headers, timeout=10)

    def items(self, state: str) -> list[dict[str, Any]]:
        response = self.listing(state, page_size=100)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def resend(self, message_id: int) -> requests.Response:
        return requests.post(f"{self.base}{API}/{message_id}/resend", headers=self.headers, timeout=10)

    def resend_all(self, state: str) -> requests.Response:
        return requests.post(f"{self.base}{API}/resend", json={"state": state}, headers=self.headers, timeout=10)

    def gauge(self) -> dict[str, float]:
        text = requests.get(f"{self.base}/metrics", headers=self.headers, timeout=10).text
        prefix = 'motcua_outbox_messages{state="'
        return {line[len(prefix):].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line.startswith(prefix)}


def faults(base: str, rate: float, kinds: list[str]) -> None:
    response = requests.post(f"{base}/zalo-emulator/faults", json={"rate": rate, "kinds": kinds, "seed": 1},
                             timeout=5)
    assert response.status_code == 200, response.text


def message(base: str, headers: dict[str, str], code: str, text: str) -> int:
    response = requests.post(f"{base}/api/v1/dossiers/{code}/messages", headers=headers, timeout=30,
                             json={"text": text})
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def texts_with(citizen: Citizen, fragment: str) -> list[str]:
    return [str(m.get("text")) for m in citizen.inbox() if fragment in str(m.get("text"))]


class TestFailedMessages:
    def test_listed_with_the_reason_then_resent_once_the_cause_is_fixed(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            officials = Officials(base)
            admin = Admin(base, officials)
            desk = officials.headers("mot_cua")
            # A phone with no Zalo account: unreachable, whatever is fixed at Zalo.
            lost = officials.intake("0900000001", "Trần Thị Bình")
            assert wait_for(lambda: admin.items("unreachable"))

            faults(base, 1.0, ["error:-201"])  # Zalo refuses every call: dead at once
            code = officials.intake("0912345678", "Nguyễn Văn An")
            first = message(base, desk, code, "Mời ông/bà mang bản chính giấy phép PCCC khi nhận kết quả.")
            assert wait_for(lambda: len(admin.items("dead")) == 2), admin.items("waiting")
            faults(base, 1.0, ["http_500"])  # a transient failure: retried later (the test clock stands still)
            second = message(base, desk, code, "Đề nghị ông/bà bổ sung bản sao sơ đồ phòng hát.")
            assert wait_for(lambda: [m for m in admin.items("waiting") if m["attempts"] == 1])

            dead, unreachable, waiting = admin.items("dead"), admin.items("unreachable"), admin.items("waiting")
            gauge_before = admin.gauge()
            refused_page = admin.listing("dead", page=2, page_size=1).json()
            bad_state = admin.listing("hỏng")
            not_admin = requests.get(f"{base}{API}", params={"state": "dead"}, headers=desk, timeout=10)
            not_admin_resend = requests.post(f"{base}{API}/{first}/resend", headers=desk, timeout=10)
            unknown = admin.resend(999_999)
            with Session(wiring.db) as session:
                stored = {m.id: m.last_error for m in session.exec(select(OutboxMessage))}

            faults(base, 0, [])  # the cause is fixed
            receipt = next(m for m in dead if m["event"] == "TIEP_NHAN")
            resent = admin.resend(receipt["id"])
            assert wait_for(lambda: texts_with(citizen, ACCEPTED))
            # Each resend is let through before the next listing is resent: a message put back in the
            # queue is "waiting" until the relay marks it sent, and would be counted again.
            assert wait_for(lambda: receipt["id"] in {m["id"] for m in admin.items("sent")})
            resent_dead = admin.resend_all("dead")
            assert wait_for(lambda: first in {m["id"] for m in admin.items("sent")})
            resent_waiting = admin.resend_all("waiting")
            assert wait_for(lambda: len(admin.items("sent")) >= 3 and not admin.items("waiting")), (
                admin.items("waiting"), admin.items("dead"))
            again = admin.resend(receipt["id"])
            inbox_after = citizen.inbox()
            gauge_after = admin.gauge()
            with Session(wiring.db) as session:
                audited = [(e.actor, e.data["message_id"], e.data["state"]) for e in session.exec(
                    select(AuditEntry).where(AuditEntry.action == "outbox.resend").order_by(col(AuditEntry.id)))]

        # Listed with the reason as the relay stored it, the recipient masked, the case and the event.
        assert {m["id"] for m in dead} == {receipt["id"], first}
        assert all(m["reason"] == stored[m["id"]] == REFUSED for m in dead), dead
        assert receipt["subject"] == code and receipt["kind"] == "dossier_event" and receipt["attempts"] == 1
        assert receipt["recipient"] == "dossier:" + "*" * (len(code) - 3) + code[-3:]
        assert receipt["created_at"].endswith("+07:00") and receipt["last_attempt_at"].endswith("+07:00")
        assert receipt["next_attempt_at"] is None and receipt["sent_at"] is None
        assert [(m["subject"], m["event"], m["state"]) for m in unreachable] == [(lost, "TIEP_NHAN", "unreachable")]
        assert unreachable[0]["reason"] == stored[unreachable[0]["id"]]
        assert unreachable[0]["reason"].startswith("phone_not_on_zalo: ")
        assert "0900000001" not in str(unreachable) and "84900000001" not in str(unreachable)
        [retrying] = waiting
        assert (retrying["id"], retrying["status"], retrying["event"]) == (second, "pending", "TIN_NHAN")
        assert retrying["reason"] == stored[second] and "500" in retrying["reason"]
        assert retrying["next_attempt_at"] is not None
        assert (refused_page["total"], refused_page["page"], refused_page["page_size"]) == (2, 2, 1)
        assert [m["id"] for m in refused_page["items"]] == [dead[1]["id"]]  # newest first
        assert gauge_before == {"waiting": 1.0, "dead": 2.0, "unreachable": 1.0, "sent": gauge_before["sent"]}
        # Refusals: a bad state names the field in Vietnamese; officials who are not administrators; no message.
        assert bad_state.status_code == 422
        assert bad_state.json()["errors"] == [{"field": "state", "message": (
            "Trạng thái tin nhắn: giá trị không hợp lệ; chọn một trong: “waiting”, “dead”, “unreachable”, "
            "“sent”.")}]
        assert (not_admin.status_code, not_admin_resend.status_code) == (403, 403)
        assert (unknown.status_code, unknown.json()["code"], unknown.json()["detail"]) == (
            404, "message_not_found", "Không tìm thấy tin nhắn.")
        # Resent: back in the queue from zero; each message delivered exactly once.
        assert resent.status_code == 200, resent.text
        assert (resent.json()["state"], resent.json()["attempts"]) == ("waiting", 0)
        assert resent_dead.json() == {"state": "dead", "resent": 1, "ids": [first]}
        assert resent_waiting.json() == {"state": "waiting", "resent": 1, "ids": [second]}
        for fragment in (ACCEPTED, "bản chính giấy phép PCCC", "bản sao sơ đồ phòng hát"):
            got = [m for m in inbox_after if fragment in str(m.get("text")) and code in str(m.get("text"))]
            assert len(got) == 1, (fragment, inbox_after)
        assert [m["file"]["filename"] for m in inbox_after if m["type"] == "file" and code in str(m)] != []
        # A delivered message is never sent again.
        assert again.status_code == 409
        assert (again.json()["code"], again.json()["detail"]) == (
            "message_already_sent", "Tin nhắn đã được gửi đến người nhận; không gửi lại để tránh gửi trùng.")
        assert audited == [("quan_tri", receipt["id"], "dead"), ("quan_tri", first, "dead"),
                           ("quan_tri", second, "waiting")]
        assert (gauge_after["dead"], gauge_after["waiting"], gauge_after["unreachable"]) == (0.0, 0.0, 1.0)
        assert gauge_after["sent"] == gauge_before["sent"] + 3


class TestNeverTwice:
    """Without a relay running (the app client): the message of an intake stays in the queue, and the test
    moves it to each status by hand."""

    def test_a_message_in_flight_or_delivered_is_not_resent_and_a_waiting_one_is_due_now(
        self, app_client: TestClient, login: Login, clock: ManualClock
    ) -> None:
        code = intake(app_client, login, accept=True)["code"]
        admin = login("quan_tri")
        [waiting] = app_client.get(API, params={"state": "waiting"}, headers=admin).json()["items"]
        assert (waiting["subject"], waiting["status"], waiting["attempts"]) == (code, "pending", 0)

        def put(status: str) -> None:
            with Session(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
                row = session.get(OutboxMessage, waiting["id"])
                assert row is not None
                row.status, row.attempts = status, 3
                session.add(row)
                session.commit()

        put("sending")
        in_flight = app_client.post(f"{API}/{waiting['id']}/resend", headers=admin)
        nothing = app_client.post(f"{API}/resend", json={"state": "waiting"}, headers=admin)
        put("sent")
        delivered = app_client.post(f"{API}/{waiting['id']}/resend", headers=admin)
        put("pending")
        clock.advance(timedelta(minutes=5))
        due = app_client.post(f"{API}/{waiting['id']}/resend", headers=admin)
        sent_state = app_client.post(f"{API}/resend", json={"state": "sent"}, headers=admin)
        extra = app_client.post(f"{API}/resend", json={"state": "dead", "all": True}, headers=admin)

        assert (in_flight.status_code, in_flight.json()["code"], in_flight.json()["detail"]) == (
            409, "message_in_flight", "Tin nhắn đang được gửi; vui lòng chờ kết quả rồi thử lại.")
        assert nothing.json() == {"state": "waiting", "resent": 0, "ids": []}
        assert (delivered.status_code, delivered.json()["code"]) == (409, "message_already_sent")
        assert due.status_code == 200, due.text
        assert (due.json()["attempts"], due.json()["next_attempt_at"]) == (
            0, to_local(clock.now()).isoformat())
        assert sent_state.status_code == 422 and sent_state.json()["errors"] == [{"field": "state", "message": (
            "Trạng thái tin nhắn: giá trị không hợp lệ; chọn một trong: “waiting”, “dead”, “unreachable”.")}]
        assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "all"
