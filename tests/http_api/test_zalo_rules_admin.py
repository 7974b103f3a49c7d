"""Issue 18 part 3 end to end: the OA's ZBS wallet is empty, so the receipt notification of a citizen reached
by phone waits (never dead, no attempt spent); an administrator reads why in Vietnamese on
GET /api/v1/admin/messages?state=waiting and in the `motcua_outbox_waiting_rule` gauge; after the top-up
the message goes once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from live import Citizen, live_server, wait_for
from test_failed_messages import Admin
from test_zalo_e2e import Officials

from workflows.core.clock import ManualClock
from workflows.core.config import Settings

WALLET_EMPTY = ("Tài khoản ZBS (Zalo Cloud) của OA hết tiền; tin nhắn chờ quản trị viên nạp tiền, tự thử lại "
                "mỗi giờ (lần tới lúc 10:00 ngày 24/11/2026).")


def rules(base: str, **body: Any) -> dict[str, Any]:
    response = requests.post(f"{base}/zalo-emulator/rules", json=body, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


def waiting_gauge(base: str, admin: Admin) -> dict[str, float]:
    text = requests.get(f"{base}/metrics", headers=admin.headers, timeout=10).text
    prefix = 'motcua_outbox_waiting_rule{rule="'
    return {line[len(prefix):].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line.startswith(prefix)}


def test_an_empty_wallet_is_shown_to_the_administrator_and_a_top_up_sends_once(
    settings: Settings, clock: ManualClock, db: Any
) -> None:
    with live_server(settings, clock) as (base, _wiring):
        citizen = Citizen(base, "84912345678")  # on Zalo, never followed: reached by a template by phone
        officials = Officials(base)
        admin = Admin(base, officials)
        rules(base, wallet_balance=0)
        code = officials.intake("0912345678", "Nguyễn Văn An")
        assert wait_for(lambda: admin.items("waiting") and admin.items("waiting")[0]["reason"])
        [waiting] = admin.items("waiting")
        gauge = waiting_gauge(base, admin)
        on_dossier = requests.get(f"{base}/api/v1/dossiers/{code}/messages", headers=officials.headers("mot_cua"),
                                  timeout=10).json()["items"]
        inbox_before = citizen.inbox()

        rules(base, top_up=10_000)
        clock.advance(timedelta(hours=1))
        admin = Admin(base, Officials(base))  # the earlier session expired with the hour
        assert wait_for(lambda: not admin.items("waiting")), admin.items("waiting")
        delivered = [m for m in citizen.inbox() if code in str(m.get("template_data"))]
        gauge_after = waiting_gauge(base, admin)
        balance = rules(base)["wallet_balance"]

    assert (waiting["subject"], waiting["status"], waiting["attempts"]) == (code, "pending", 0)
    assert waiting["reason"].startswith("waiting:wallet_empty: ") and "[zalo -115]" in waiting["reason"]
    assert WALLET_EMPTY in waiting["reason"]
    assert waiting["next_attempt_at"] == "2026-11-24T10:00:00+07:00"
    assert [(m["status"], m["problems"]) for m in on_dossier] == [("pending", [f"Tin nhắn chưa gửi: {WALLET_EMPTY}"])]
    assert gauge["wallet_empty"] == 1.0 and gauge["night_window"] == 0.0
    assert inbox_before == []
    assert [m["channel"] for m in delivered] == ["template_phone"]
    assert gauge_after["wallet_empty"] == 0.0
    assert balance == 10_000 - 300  # debited once
