"""Issue 19 part 4 over HTTP: a dossier at the fee step gives the citizen a payment link on Zalo and on the
lookup; the link opens the DVCQG payment platform (the emulator's payer page); its signed callback completes
the fee step and stores the e-receipt. A failed payment leaves it payable; replayed, forged, unknown and
unconfirmed callbacks change nothing and are recorded; two identical callbacks at once complete it once; a
lost callback is caught by the desk's re-check."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from live import Citizen, live_server, wait_for

from connectors.dvcqg import payment_wire as wire
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

PROCEDURE = "VHTTDL-LUU-TRU-1-3-SAO"  # mot_cua_chuan with the fee step thu_phi; one fee of 1.500.000 đồng
AMOUNT = 1_500_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # a Monday, 09:00 in Vietnam


class Desk:
    def __init__(self, base: str) -> None:
        self.base = base

    def headers(self, username: str) -> dict[str, str]:
        response = requests.post(f"{self.base}/api/v1/auth/token", timeout=10,
                                 data={"username": username, "password": "motcua-demo"})
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def intake(self, phone: str) -> str:
        response = requests.post(f"{self.base}/api/v1/dossiers", headers=self.headers("mot_cua"), timeout=30, json={
            "procedure_code": PROCEDURE, "channel": "counter", "notify_zalo": True, "accept": True,
            "facts": {"hang_de_nghi": "mot_hai_sao"},
            "applicant": {"full_name": "Lê Thị Hoa", "phone": phone}})
        assert response.status_code == 201, response.text
        return str(response.json()["code"])

    def complete(self, username: str, code: str, data: dict[str, Any]) -> None:
        headers = self.headers(username)
        tasks = requests.get(f"{self.base}/api/v1/tasks", params={"scope": "all"}, headers=headers,
                             timeout=10).json()["items"]
        task = next(t for t in tasks if t["dossier_code"] == code)
        response = requests.post(f"{self.base}/api/v1/tasks/{task['id']}/complete", json={"data": data},
                                 headers=headers, timeout=30)
        assert response.status_code == 200, response.text

    def to_fee_step(self, code: str) -> None:
        # The tourism division decides this procedure (its competence), whichever desk received it.
        self.complete("lanh_dao_phong_dl", code, {"case_officer": "chuyen_vien_dl"})
        self.complete("chuyen_vien_dl", code, {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"})

    def dossier(self, code: str) -> dict[str, Any]:
        return dict(requests.get(f"{self.base}/api/v1/dossiers/{code}", headers=self.headers("mot_cua"),
                                 timeout=10).json())

    def payments(self, code: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.base}/api/v1/dossiers/{code}/payments", headers=self.headers("mot_cua"),
                                timeout=10)
        assert response.status_code == 200, response.text
        return list(response.json())

    def open_tasks(self, username: str, code: str) -> list[str]:
        tasks = requests.get(f"{self.base}/api/v1/tasks", params={"scope": "all"}, headers=self.headers(username),
                             timeout=10).json()["items"]
        return [t["step"] if "step" in t else t.get("element_id", t.get("name")) for t in tasks
                if t["dossier_code"] == code]


def fee_message(citizen: Citizen, code: str) -> str:
    found = wait_for(lambda: [m["text"] for m in citizen.inbox()
                              if m.get("text") and code in m["text"] and "có yêu cầu nộp" in m["text"]])
    assert found, citizen.inbox()
    return str(found[-1])


def start(link: str) -> tuple[str, str]:
    """POST the citizen's link: (the platform's payer page, its MaThamChieu)."""
    response = requests.post(link, allow_redirects=False, timeout=30)
    assert response.status_code == 303, response.text
    payer = response.headers["location"]
    listing = requests.get(payer.split("/payment/pay/")[0] + "/payment/transactions", timeout=5).json()
    pay_id = payer.rsplit("/", 1)[1]
    reference = next(t["reference"] for t in listing["transactions"] if t["id"] == pay_id)
    return payer, reference


def follow(base: str, phone_84: str) -> Citizen:
    citizen = Citizen(base, phone_84)
    citizen.act("follow")
    assert wait_for(lambda: len(citizen.inbox()) >= 2)
    assert "Đã xác thực số điện thoại" in citizen.share_and_prove(name="Lê Thị Hoa")
    return citizen


def verdicts(desk: Desk, code: str) -> list[str]:
    return [c["verdict"] for p in desk.payments(code) for c in p["callbacks"]]


class TestPayingTheFeeOnline:
    def test_link_pay_fail_then_succeed_receipt_and_nothing_from_replays_or_forgeries(
            self, settings: Settings, clock: ManualClock, db: Any) -> None:
        with live_server(settings, clock) as (base, _wiring):
            citizen = follow(base, "84912300011")
            desk = Desk(base)
            code = desk.intake("0912300011")
            desk.to_fee_step(code)
            text = fee_message(citizen, code)
            link = re.search(rf"{re.escape(base)}/thanh-toan/[A-Za-z0-9_-]+", text)
            assert link, text
            assert text == (
                f"Hồ sơ {code} có yêu cầu nộp 1.500.000 đồng. Ông/bà có thể thanh toán trực tuyến tại: "
                f"{link.group(0)} hoặc nộp trực tiếp tại Bộ phận Một cửa, Trung tâm Phục vụ hành chính công "
                "tỉnh Tuyên Quang; hồ sơ được tiếp tục giải quyết sau khi nộp.")
            page = requests.get(link.group(0), timeout=10)
            assert page.status_code == 200 and "1.500.000 đồng" in page.text and "Thanh toán trực tuyến" in page.text

            # The first attempt fails at the platform: recorded, the request stays payable.
            payer, first = start(link.group(0))
            assert "Thanh toán" in requests.get(payer, timeout=10).text
            back = requests.post(payer, data={"action": "cancel"}, timeout=30)
            assert "Thanh toán không thành công" in back.text
            assert desk.dossier(code)["status"] == "CHO_NGHIA_VU_TAI_CHINH"
            assert verdicts(desk, code) == ["failed_payment"]

            # The second attempt is paid: the callback completes the fee step and the receipt is stored.
            payer, second = start(link.group(0))
            assert first != second
            back = requests.post(payer, data={"action": "pay"}, timeout=30)
            assert "Thanh toán thành công" in back.text
            assert desk.dossier(code)["status"] == "CHO_XEM_XET"
            [payment] = desk.payments(code)
            assert payment["state"] == "paid" and payment["amount"] == AMOUNT
            assert payment["receipt"] == "TQ-26E-0000001" and payment["receipt_error"] is None
            receipt = requests.get(f"{base}/api/v1/dossiers/{code}/documents/{payment['receipt_document_id']}",
                                   headers=desk.headers("mot_cua"), timeout=10)
            assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
            assert b"So: 0000001" in receipt.content
            history = requests.get(f"{base}/api/v1/dossiers/{code}/history", headers=desk.headers("mot_cua"),
                                   timeout=10).json()["items"]
            assert any(h.get("step") == "thu_phi" for h in history), history
            assert "/thanh-toan/" not in str(requests.get(link.group(0), timeout=10).text.split("<form")[0:0])
            assert "Hồ sơ đã được thanh toán phí, lệ phí." in requests.get(link.group(0), timeout=10).text
            assert requests.post(link.group(0), allow_redirects=False, timeout=10).status_code == 409

            # A replay, a forged hash and a signed callback for an unknown reference change nothing.
            emulator = f"{base}/dvcqg-emulator/payment/callbacks"
            replay = requests.post(f"{emulator}/{second}/replay", timeout=30).json()
            assert '"verdict":"duplicate"' in replay["answer"]["body"]
            forged = requests.post(f"{emulator}/{second}/forge", json={"kind": "bad_hash"}, timeout=30).json()
            assert '"verdict":"bad_hash"' in forged["answer"]["body"]
            tampered = requests.post(f"{emulator}/{second}/forge", json={"kind": "tampered_amount"},
                                     timeout=30).json()
            assert '"verdict":"bad_hash"' in tampered["answer"]["body"]
            unknown = requests.post(f"{emulator}/TQ000000000000XXXX/forge", json={"kind": "unknown"},
                                    timeout=30).json()
            assert '"verdict":"unknown_reference"' in unknown["answer"]["body"]
            assert verdicts(desk, code) == ["failed_payment", "accepted", "duplicate", "bad_hash", "bad_hash"]
            [payment] = desk.payments(code)
            assert payment["state"] == "paid" and payment["receipt"] == "TQ-26E-0000001"
            assert desk.dossier(code)["status"] == "CHO_XEM_XET"
            documents = requests.get(f"{base}/api/v1/dossiers/{code}/documents", headers=desk.headers("mot_cua"),
                                     timeout=10).json()["items"]
            assert [d["kind"] for d in documents].count("receipt") == 1

    def test_unconfirmed_lost_and_concurrent_callbacks(self, settings: Settings, clock: ManualClock,
                                                       db: Any) -> None:
        with live_server(settings, clock) as (base, wiring):
            desk = Desk(base)
            code = desk.intake("0912300012")  # no Zalo follower: the link is on the lookup page
            desk.to_fee_step(code)
            lookup = requests.post(f"{base}/api/v1/public/lookup", timeout=10,
                                   json={"code": code, "verifier": "0012"})
            assert lookup.status_code == 200, lookup.text
            link = lookup.json()["payment_url"]
            assert link.startswith(f"{base}/thanh-toan/") and lookup.json()["payment_amount"] == AMOUNT

            # A validly signed "paid" for an attempt the platform has not been paid for: not confirmed by QUERY.
            payer, reference = start(link)
            forged = requests.post(f"{base}/dvcqg-emulator/payment/callbacks/{reference}/forge",
                                   json={"kind": "unpaid_success"}, timeout=30).json()
            assert '"verdict":"unconfirmed"' in forged["answer"]["body"]
            assert desk.dossier(code)["status"] == "CHO_NGHIA_VU_TAI_CHINH"

            # Paid, but the callback is lost: two identical callbacks then arrive at once; one completes the step.
            requests.post(payer, data={"action": "pay_lost_callback"}, timeout=30)
            settings_ = wiring.settings.dvcqg.payment
            message = wire.callback_message(
                code="00", partner=settings_.partner_code, reference=reference, amount=AMOUNT,
                transaction_id="GD0000000042", bank="970415", at=clock.now(), info=f"Nộp phí hồ sơ {code}",
                secret=settings_.secret.get_secret_value())
            answers: list[dict[str, Any]] = []

            def deliver() -> None:
                answers.append(requests.post(f"{base}/api/v1/payments/dvcqg/callback", json=message, timeout=60).json())

            threads = [threading.Thread(target=deliver) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(a["verdict"] for a in answers) == ["accepted", "duplicate"], answers
            assert desk.dossier(code)["status"] == "CHO_XEM_XET"
            [payment] = desk.payments(code)
            assert payment["state"] == "paid" and payment["transaction_id"] == "GD0000000042"

    def test_the_desk_recheck_catches_a_lost_callback(self, settings: Settings, clock: ManualClock,
                                                      db: Any) -> None:
        with live_server(settings, clock) as (base, _wiring):
            desk = Desk(base)
            code = desk.intake("0912300013")
            desk.to_fee_step(code)
            lookup = requests.post(f"{base}/api/v1/public/lookup", timeout=10,
                                   json={"code": code, "verifier": "0013"}).json()
            payer, _ = start(lookup["payment_url"])
            requests.post(payer, data={"action": "pay_lost_callback"}, timeout=30)
            assert desk.dossier(code)["status"] == "CHO_NGHIA_VU_TAI_CHINH"
            refused = requests.post(f"{base}/api/v1/dossiers/{code}/payments/check",
                                    headers=desk.headers("chuyen_vien"), timeout=30)
            assert refused.status_code == 403
            checked = requests.post(f"{base}/api/v1/dossiers/{code}/payments/check",
                                    headers=desk.headers("mot_cua"), timeout=30)
            assert checked.status_code == 200, checked.text
            assert checked.json()[0]["state"] == "paid" and checked.json()[0]["receipt"]
            assert desk.dossier(code)["status"] == "CHO_XEM_XET"


def test_the_callback_hash_is_the_documented_sha256() -> None:
    message = {"LoaiBanTin": "PAY", "MaLoi": "00", "MaDoiTac": "TQ", "MaThamChieu": "R1", "SoTien": "1000",
               "MaTienTe": "VND", "MaGiaoDich": "G1", "MaNganHang": "970415", "ThoiGianGD": "20261207090000",
               "ThongTinGiaoDich": "Nộp phí"}
    import hashlib

    expected = hashlib.sha256("PAY|00|TQ|R1|1000|VND|G1|970415|20261207090000|Nộp phí|bí-mật".encode()).hexdigest()
    assert wire.signature(message, wire.CALLBACK_HASH, "bí-mật") == expected
    callback, genuine = wire.read_callback({**message, "MaXacThuc": expected}, secret="bí-mật")
    assert genuine and callback.paid and callback.amount == 1000
    assert not wire.read_callback({**message, "MaXacThuc": expected, "SoTien": "1"}, secret="bí-mật")[1]
    assert wire.wire_time(datetime(2026, 12, 7, 14, 5, 9, tzinfo=UTC)) == "20261207210509"  # 24-hour, Vietnam
