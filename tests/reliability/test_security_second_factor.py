"""Issue 15, items 1–3, as an attacker does them: guessing a dossier's 4-digit verifier with rotating
X-Forwarded-For (web) and with several Zalo accounts, taking over a dossier's notifications by guessing,
and sharing somebody else's phone in Zalo. Over HTTP against `motcua serve` + `motcua worker` (the Zalo
emulator inside the server, real signed webhooks) or the whole app in-process; both databases."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from reliability_checks import complete
from reliability_system import System, wait_until
from sqlalchemy import text
from sqlmodel import Session, select

from workflows.audit.models import AuditEntry
from workflows.core.config import Settings

Login = Callable[[str], dict[str, str]]
PHONE, PHONE_84, ID_NUMBER = "0912345678", "84912345678", "008190012345"  # verifiers 5678 and 2345
APPLICANT = {"full_name": "Nguyễn Thị Hồng Nhung", "id_number": ID_NUMBER, "phone": PHONE,
             "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang"}
WRONG = [f"{n:04d}" for n in range(1000, 1400)]  # neither 5678 nor 2345
LOCKED = ("Thông tin xác minh của mã hồ sơ này đã bị nhập sai quá nhiều lần nên việc tra cứu tạm dừng. "
          "Vui lòng thử lại sau {wait} hoặc liên hệ Bộ phận Một cửa.")
NOT_FOUND = "Không tìm thấy hồ sơ khớp với thông tin đã nhập."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A reverse proxy at 10.0.0.0/8 whose X-Forwarded-For is believed (in-process tests only: the
    subprocesses get the default, no trusted proxy)."""
    return settings.model_copy(update={"trusted_proxies": [ipaddress.ip_network("10.0.0.0/8")]})


@pytest.fixture
def running(system: System) -> Iterator[System]:
    system.worker.start()  # the relay: replies and notifications reach the emulator's inboxes
    yield system


def audit_count(db: Any, action: str) -> int:
    with Session(db) as session:
        return len(session.exec(select(AuditEntry.id).where(AuditEntry.action == action)).all())


def intake_body() -> dict[str, Any]:
    return {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True, "accept": True,
            "applicant": APPLICANT}


def intake_here(client: TestClient, login: Login) -> str:
    response = client.post("/api/v1/dossiers", headers=login("mot_cua"), json=intake_body())
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def intake_live(system: System) -> str:
    response = system.call("POST", "/api/v1/dossiers", user="mot_cua", json=intake_body())
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


# --- the web: /api/v1/public/documents with rotating X-Forwarded-For ----------------------------------------


class TestForwardedFor:
    def test_rotating_forwarded_for_is_not_believed_by_motcua_serve(self, system: System) -> None:
        """`motcua serve` as run by `make run`, on 127.0.0.1, no trusted proxy: each request claims
        another address, and the per-client limit still counts them as one client."""
        statuses = []
        for i in range(12):
            # Another code each time, so that no dossier's budget is what stops them.
            response = system.call("POST", "/api/v1/public/documents",
                                   headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                                   json={"code": f"H60.22-261124-{9000 + i}", "verifier": "1111"})
            statuses.append((response.status_code, response.json()["code"]))
        assert statuses[:10] == [(404, "lookup_not_found")] * 10, statuses
        assert statuses[10:] == [(429, "rate_limited")] * 2, statuses

    def test_rotating_addresses_behind_a_trusted_proxy_are_stopped_by_the_dossier_budget(
        self, app_client: TestClient, login: Login, backend: str, figures: Counter[str]
    ) -> None:
        code = intake_here(app_client, login)
        db = app_client.app.state.wiring.db  # type: ignore[attr-defined]
        # From a peer that is not a trusted proxy the header is ignored (one client, limited per client).
        outsider = TestClient(app_client.app, client=("203.0.113.9", 40000))
        answers = [outsider.post("/api/v1/public/lookup/by-name", headers={"X-Forwarded-For": f"192.0.2.{i}"},
                                 json={"full_name": "Nguyễn Văn A", "procedure_code": "VHTTDL-KARAOKE",
                                       "received_on": "2026-11-24"}).status_code for i in range(11)]
        assert answers == [200] * 10 + [429], answers
        # Behind the trusted proxy every request comes from another address: only the budget stops them.
        proxy = TestClient(app_client.app, client=("10.0.0.2", 40000))
        attempts = 300
        answers_by_status: Counter[int] = Counter()
        last: Any = None
        for i in range(attempts):
            last = proxy.post("/api/v1/public/documents", json={"code": code, "verifier": WRONG[i]},
                              headers={"X-Forwarded-For": f"198.51.{i // 250}.{i % 250 + 1}, 10.0.0.7"})
            answers_by_status[last.status_code] += 1
        evaluated = audit_count(db, "public.documents")
        assert answers_by_status == Counter({404: 10, 429: attempts - 10}), answers_by_status
        assert evaluated == 10
        body = last.json()
        wait = int(last.headers["Retry-After"])
        assert last.headers["content-type"].startswith("application/problem+json")
        assert body["code"] == "second_factor_locked" and body["status"] == 429
        # The clock stands at 09:00 (Hanoi): 10 wrong guesses this hour; one more fits once the sliding
        # hour has let a tenth of them go, 3,961 s on.
        assert wait == 3961 and body["detail"] == LOCKED.format(wait="1 giờ 7 phút"), (wait, body["detail"])
        # The right verifier is refused too, unchecked, on every door to this dossier.
        right = {"code": code, "verifier": "5678"}
        for path in ("/api/v1/public/documents", "/api/v1/public/documents/1", "/api/v1/public/lookup"):
            refused = proxy.post(path, json=right, headers={"X-Forwarded-For": "203.0.113.50"})
            assert (refused.status_code, refused.json()["code"]) == (429, "second_factor_locked"), path
        assert audit_count(db, "public.documents") == 10 and audit_count(db, "public.document_download") == 0
        # The ID number has a budget of its own: the citizen can still look their dossiers up by it.
        assert proxy.post("/api/v1/public/lookup/by-id", json={"id_number": ID_NUMBER, "phone_last4": "5678"},
                          headers={"X-Forwarded-For": "203.0.113.51"}).status_code == 200
        figures[f"{backend}: second factor, web: attempts made"] += attempts
        figures[f"{backend}: second factor, web: attempts evaluated before the budget"] += evaluated

    def test_the_budget_is_shared_by_lookup_documents_and_id_lookup(
        self, app_client: TestClient, login: Login
    ) -> None:
        code = intake_here(app_client, login)
        proxy = TestClient(app_client.app, client=("10.0.0.2", 40000))

        def post(path: str, body: dict[str, str], i: int) -> Any:
            return proxy.post(path, json=body, headers={"X-Forwarded-For": f"198.51.100.{i}"})

        seen = [post("/api/v1/public/lookup", {"code": code, "verifier": WRONG[i]}, i).status_code for i in range(4)]
        # The citizen's own right answer in between is checked, and gives its attempt back.
        seen.append(post("/api/v1/public/documents", {"code": code, "verifier": "5678"}, 4).status_code)
        seen += [post("/api/v1/public/documents", {"code": code, "verifier": WRONG[i]}, i).status_code
                 for i in range(5, 9)]
        seen += [post("/api/v1/public/documents/1", {"code": code, "verifier": WRONG[i]}, i).status_code
                 for i in range(9, 11)]
        assert seen == [404] * 4 + [200] + [404] * 6
        # The 10 wrong ones, from 11 addresses and three doors, exhausted the dossier's budget.
        locked = post("/api/v1/public/lookup", {"code": code, "verifier": "5678"}, 11)
        assert (locked.status_code, locked.json()["code"]) == (429, "second_factor_locked")
        # The ID number has its own budget, shared the same way: 10 wrong, then even the right digits wait.
        by_id = [post("/api/v1/public/lookup/by-id", {"id_number": ID_NUMBER, "phone_last4": WRONG[i]},
                      20 + i).status_code for i in range(11)]
        assert by_id == [404] * 10 + [429]
        refused = post("/api/v1/public/lookup/by-id", {"id_number": ID_NUMBER, "phone_last4": "5678"}, 40)
        assert refused.json()["detail"].startswith("Thông tin xác minh của số CCCD/CMND này đã bị nhập sai")


class TestSpreadOverManyDossiers:
    def test_one_client_spreading_guesses_over_many_codes_is_stopped_for_the_day(
        self, app_client: TestClient, login: Login, clock: Any, figures: Counter[str]
    ) -> None:
        """One guess on each of many (sequential) codes stays under every dossier's budget; the client's own
        daily budget of wrong guesses stops it, while right answers are given back (a shared office address
        keeps working for citizens who type their digits right)."""
        code = intake_here(app_client, login)
        prefix = code.rsplit("-", 1)[0]
        outsider = TestClient(app_client.app, client=("203.0.113.9", 40000))
        assert outsider.post("/api/v1/public/lookup", json={"code": code, "verifier": "5678"}).status_code == 200
        answers = []
        for n in range(1, 106):
            clock.advance(timedelta(seconds=60))  # one a minute: well under the per-client limit of 10
            guess = {"code": f"{prefix}-{9000 + n:04d}", "verifier": WRONG[n]}
            answers.append(outsider.post("/api/v1/public/lookup", json=guess).status_code)
        figures["second factor, spread: guesses made"] += len(answers)
        figures["second factor, spread: guesses evaluated"] += answers.count(404)
        assert answers == [404] * 100 + [429] * 5
        refused = outsider.post("/api/v1/public/lookup", json={"code": code, "verifier": "5678"})
        assert (refused.status_code, refused.json()["code"]) == (429, "second_factor_locked")
        assert refused.json()["detail"].startswith("Đã có quá nhiều lần nhập sai thông tin xác minh từ địa chỉ mạng")
        # Another address is not held back, and the dossier's own budget was never touched.
        assert app_client.post("/api/v1/public/lookup", json={"code": code, "verifier": "5678"}).status_code == 200


# --- Zalo: guessing over chat, and a phone that is not yours ------------------------------------------------


class Account:
    """A Zalo account in the emulator (plain requests: its answers carry phone numbers in clear)."""

    def __init__(self, system: System, phone_84: str) -> None:
        self.base = f"{system.base}/zalo-emulator"
        self.user_id = requests.post(f"{self.base}/users", json={"phone": phone_84}, timeout=10).json()["user_id"]
        self.texts = 0

    def act(self, action: str, body: dict[str, Any] | None = None) -> None:
        response = requests.post(f"{self.base}/users/{self.user_id}/{action}", json=body, timeout=10)
        assert response.status_code == 200, response.text
        self.texts += action == "send-text"

    def inbox(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.base}/inbox", params={"user_id": self.user_id},
                                 timeout=10).json()["messages"])

    def texts_received(self) -> list[str]:
        return [str(m.get("text") or "") for m in self.inbox() if m.get("type") == "text"]

    def codes(self) -> list[str]:
        return [str(m["template_data"]["otp"]) for m in self.inbox()
                if m.get("channel") == "template_phone" and "otp" in (m.get("template_data") or {})]

    def follow(self) -> None:
        self.act("follow")
        wait_until(lambda: len(self.inbox()) >= 2, timeout=60, what="welcome and the request for the phone")

    def ask(self, message: str) -> str:
        before = len(self.texts_received())
        self.act("send-text", {"text": message})
        return wait_until(lambda: self.texts_received()[before:], timeout=60, what=f"answer to {message!r}")[-1]


def steps_reached(system: System, citizen: Account, code: str) -> None:
    """The case officer is assigned and inspects: the citizen hears of it (template by phone)."""
    complete(system, code, 0)
    complete(system, code, 1)
    wait_until(lambda: [m for m in citizen.inbox() if m.get("channel") == "template_phone"
                        and f"Hồ sơ {code} của Ông/Bà: Đang xử lý" in str(m.get("text"))],
               timeout=60, what="the next step's message to the citizen")


class TestZalo:
    def test_three_accounts_guessing_exhaust_the_budget_and_a_fourth_does_not_become_the_recipient(
        self, running: System, backend: str, figures: Counter[str]
    ) -> None:
        citizen = Account(running, PHONE_84)  # the applicant's Zalo account, reached by template by phone
        code = intake_live(running)
        wait_until(lambda: [m for m in citizen.inbox() if code in str(m.get("text"))], timeout=60,
                   what="the receipt notice")
        attackers = [Account(running, f"8498765{i:04d}") for i in range(4)]
        for account in attackers:
            account.follow()
        for n, account in enumerate(attackers[:3]):
            for i in range(10):
                account.act("send-text", {"text": f"{code} {WRONG[n * 10 + i]}"})
        replies = [wait_until(lambda a=a: len(a.texts_received()) >= 11 and a.texts_received()[1:], timeout=90,
                              what="ten replies") for a in attackers[:3]]
        flat = [r for account_replies in replies for r in account_replies]
        evaluated = sum(r.startswith(NOT_FOUND) for r in flat)
        assert evaluated == 10 and len(flat) == 30, flat
        assert all(r.startswith(NOT_FOUND) or r.startswith(LOCKED.split("{")[0]) for r in flat), flat
        fourth = attackers[3].ask(f"{code} 5678")
        assert fourth.startswith(LOCKED.split("{")[0]) and "Nguyễn" not in fourth, fourth
        # The next steps' messages go to the citizen, never to an account that guessed.
        before = [len(a.inbox()) for a in attackers]
        steps_reached(running, citizen, code)
        assert [len(a.inbox()) for a in attackers] == before
        for account in attackers:
            assert not [m for m in account.inbox() if m.get("type") in ("template", "file")], account.inbox()
        with running.db.connect() as connection:
            linked = connection.execute(text("SELECT zalo_user_id FROM dossier WHERE code = :c"), {"c": code})
            assert linked.scalar_one() is None
        figures[f"{backend}: second factor, Zalo: guesses sent"] += 31
        figures[f"{backend}: second factor, Zalo: guesses evaluated before the budget"] += evaluated

    def test_the_right_digits_show_the_status_only(self, running: System) -> None:
        citizen = Account(running, PHONE_84)
        code = intake_live(running)
        stranger = Account(running, "84987650000")
        stranger.follow()
        shown = stranger.ask(f"{code} 5678")
        assert shown.startswith(f"Hồ sơ {code} – ") and "Nguyễn T** H*** N****" in shown, shown
        assert "Đã liên kết" not in shown and shown.endswith(
            "Để nhận thông báo các bước xử lý tại đây, nhắn LIÊN KẾT, chia sẻ số điện thoại đã khai trong hồ sơ "
            "rồi nhắn lại mã xác thực 6 chữ số được gửi qua Zalo tới số điện thoại đó."), shown
        before = len(stranger.inbox())
        steps_reached(running, citizen, code)
        assert len(stranger.inbox()) == before
        assert stranger.ask("tra cứu").startswith("Chưa có hồ sơ nào liên kết với tài khoản Zalo này.")

    def test_someone_elses_phone_gets_nothing_and_the_proven_owner_gets_everything(self, running: System) -> None:
        owner, intruder = Account(running, PHONE_84), Account(running, "84987651111")
        intruder.follow()
        intruder.act("submit-info", {"phone": PHONE_84, "name": "Nguyễn Thị Hồng Nhung"})
        sent = wait_until(lambda: [t for t in intruder.texts_received() if t.startswith("Mã xác thực gồm")],
                          timeout=60, what="the code notice")
        assert sent[-1] == ("Mã xác thực gồm 6 chữ số vừa được gửi qua Zalo tới tài khoản đăng ký số điện thoại "
                            "0912***678. Vui lòng nhắn lại mã đó tại đây trong vòng 10 phút để xác thực số điện "
                            "thoại và nhận thông báo về hồ sơ tại đây.")
        # Zalo delivers the code to the account that owns the number, not to the one that typed it.
        wait_until(owner.codes, timeout=60, what="the code in the owner's inbox")
        assert intruder.codes() == []
        code = intake_live(running)
        answers = [intruder.ask(f"{n:06d}") for n in range(5)]
        assert answers[0] == "Mã xác thực không đúng; ông/bà còn 4 lần thử."
        assert answers[4] == ("Mã xác thực không đúng. Ông/bà đã nhập sai 5 lần. Vui lòng nhắn LIÊN KẾT và chia "
                              "sẻ lại số điện thoại để nhận mã mới.")
        assert intruder.ask(owner.codes()[-1]).startswith("Không có mã xác thực nào đang chờ.")  # used up
        assert intruder.ask("tra cứu").startswith("Chưa có hồ sơ nào liên kết")
        assert code not in intruder.ask(f"tra cứu cccd {ID_NUMBER}")
        assert not [m for m in intruder.inbox() if m.get("type") == "file" or code in str(m.get("text"))
                    and not str(m.get("text")).startswith(NOT_FOUND)]

        owner.follow()
        owner.act("submit-info", {"phone": PHONE_84, "name": "Nguyễn Thị Hồng Nhung"})
        codes = wait_until(lambda: owner.codes()[1:], timeout=60, what="the owner's own code")
        wait_until(lambda: [t for t in owner.texts_received() if t.startswith("Mã xác thực gồm")], timeout=60,
                   what="the notice that the code was sent")
        proven = owner.ask(codes[-1])
        assert proven == ("Đã xác thực số điện thoại 0912***678. Đã liên kết 1 hồ sơ với tài khoản Zalo này; "
                          "ông/bà sẽ nhận thông báo các bước xử lý tại đây. Gửi \"tra cứu\" để xem trạng thái.")
        assert code in owner.ask("tra cứu")
        second = intake_live(running)
        files = wait_until(lambda: [m for m in owner.inbox() if m.get("type") == "file"], timeout=60,
                           what="the receipt slip (Mẫu 01) in the owner's chat")
        assert files and any(second in str(m.get("text")) for m in owner.inbox() if m.get("channel") == "cs")
        assert not [m for m in intruder.inbox() if m.get("type") == "file" or second in str(m.get("text"))]
