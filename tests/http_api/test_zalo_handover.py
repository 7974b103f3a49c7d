"""Issue 18 part 7 through HTTP only: an official answers a citizen in Zalo's OA manager (the emulator's
`oa-reply`, a signed `oa_send_text` echo to our webhook); the keyword bot stays quiet for that citizen while
the official's last message is less than `zalo.handover_quiet_minutes` old, then answers again; the echoes
of our own sends never silence it; dossier messages still arrive; officials read the conversation on the
dossier (audited, by the role table)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import requests
from live import Citizen, live_server, wait_for
from sqlmodel import Session, select
from test_zalo_e2e import Officials

from connectors.outbox import OutboxMessage
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.zalo.conversation import NOT_LINKED
from workflows.zalo.models import ConversationEntry

OFFICIAL_TEXT = "Chào anh An, hồ sơ của anh đang được thẩm định; cần gì anh gọi 0912345678 nhé."


def deliveries(base: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{base}/zalo-emulator/webhook-deliveries", timeout=5).json())


def delivered(base: str, name: str, count: int) -> bool:
    """At least `count` events `name` reached our webhook (answered 200)."""
    return len([d for d in deliveries(base) if d["event_name"] == name and d["status"] == "delivered"]) >= count


def settled(wiring: Any) -> bool:
    """Nothing left in the outbox to send (the relay also recorded the ids of what it sent)."""
    with Session(wiring.db) as session:
        return all(m.status != "pending" and m.status != "sending" for m in session.exec(select(OutboxMessage)))


def say_unanswered(base: str, wiring: Any, citizen: Citizen, text: str) -> None:
    """Send `text`; assert our server took it (200) and the OA answered nothing, even after the relay ran."""
    before, texts = len(citizen.inbox()), len(deliveries(base))
    citizen.act("send-text", {"text": text})
    assert wait_for(lambda: [d for d in deliveries(base)[texts:]
                             if d["event_name"] == "user_send_text" and d["status"] == "delivered"])
    time.sleep(1.0)  # ten relay ticks: a queued reply would have gone by now
    assert wait_for(lambda: settled(wiring))
    assert citizen.inbox()[before:] == [], citizen.inbox()[before:]


def ask(citizen: Citizen, text: str) -> str:
    before = len(citizen.inbox())
    citizen.act("send-text", {"text": text})
    messages = wait_for(lambda: citizen.inbox()[before:] or None)
    assert messages, f"no reply to {text!r}"
    return str(messages[-1].get("text") or "")


def official_answers(base: str, citizen: Citizen, text: str) -> None:
    count = len([d for d in deliveries(base) if d["event"].get("sender", {}).get("admin_id")])
    response = requests.post(f"{base}/zalo-emulator/users/{citizen.user_id}/oa-reply", json={"text": text}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["event"]["event_name"] == "oa_send_text"
    assert wait_for(lambda: len([d for d in deliveries(base) if d["event"].get("sender", {}).get("admin_id")
                                 and d["status"] == "delivered"]) > count)


class TestHandOver:
    def test_the_bot_steps_aside_while_an_official_answers(self, settings: Settings, clock: ManualClock,
                                                            db: Any) -> None:
        with live_server(settings, clock) as (base, wiring):
            officials = Officials(base)
            citizen = Citizen(base, "84912345678")
            code = officials.intake("0912345678", "Nguyễn Văn An")
            citizen.act("follow")
            wait_for(lambda: len(citizen.inbox()) >= 3)  # the receipt (template by phone), the welcome, the card
            assert citizen.share_and_prove().startswith("Đã xác thực số điện thoại 0912***678.")
            # Our own sends are echoed as oa_send_* events too; they do not silence the bot.
            assert wait_for(lambda: settled(wiring) and delivered(base, "oa_send_text", 2))
            assert code in ask(citizen, "tra cứu")
            assert wait_for(lambda: settled(wiring) and delivered(base, "oa_send_text", 3))
            assert code in ask(citizen, "tra cứu")

            official_answers(base, citizen, OFFICIAL_TEXT)
            say_unanswered(base, wiring, citizen, "tra cứu")
            # A dossier message during the pause still goes (only the bot's automatic answers pause).
            before = len(citizen.inbox())
            sent = requests.post(f"{base}/api/v1/dossiers/{code}/messages", headers=officials.headers("chuyen_vien"),
                                 json={"text": "Mời ông bổ sung bản sao giấy phép."}, timeout=10)
            assert sent.status_code == 202, sent.text
            arrived = wait_for(lambda: citizen.inbox()[before:])
            assert "Mời ông bổ sung bản sao giấy phép." in arrived[0]["text"]
            assert wait_for(lambda: settled(wiring) and delivered(base, "oa_send_text", 6))
            # Each further message of the official extends the pause; our own message above did not.
            clock.advance(timedelta(minutes=20))
            official_answers(base, citizen, "Anh bổ sung giúp em trong tuần này nhé.")
            clock.advance(timedelta(minutes=20))  # 40 minutes after the first answer, 20 after the last
            say_unanswered(base, wiring, citizen, "dịch vụ công")
            clock.advance(timedelta(minutes=11))  # 31 minutes after the official's last message
            assert code in ask(citizen, "tra cứu")

            with Session(wiring.db) as session:
                stored = session.exec(select(ConversationEntry)).all()
            assert not any(OFFICIAL_TEXT in str(e.text_enc) for e in stored), "the text is stored encrypted"

            reader = officials.headers("chuyen_vien")
            response = requests.get(f"{base}/api/v1/dossiers/{code}/zalo-conversation", headers=reader, timeout=10)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["zalo_linked"] is True and body["note"] is None
            items = body["items"]
            assert all(i["at"].endswith("+07:00") for i in items)
            assert {i["who"] for i in items} == {"Công dân", "Hệ thống", "Cán bộ qua OA"}
            said = [(i["who"], i["text"]) for i in items]
            official = OFFICIAL_TEXT.replace("0912345678", "0912***678")
            assert said.index(("Cán bộ qua OA", official)) < said.index(("Công dân", "dịch vụ công"))
            assert [t for w, t in said if w == "Cán bộ qua OA"] == [official, "Anh bổ sung giúp em trong tuần này nhé."]
            assert [t for w, t in said if w == "Công dân"] == [
                "[mã xác thực 6 chữ số]", "tra cứu", "tra cứu", "tra cứu", "dịch vụ công", "tra cứu"]
            system = [i for i in items if i["who"] == "Hệ thống"]
            assert [i["source"] for i in system if i["source"] == "official_message"] == ["official_message"]
            assert any(i["attachments"] == ["Thẻ chia sẻ thông tin"] for i in system)  # the welcome's card
            assert all(i["status_name"] == "Đã gửi" for i in system), system
            # Our echoes are not shown twice: one system item per outbox message of this account or dossier.
            replies = [i for i in system if i["source"] == "bot_reply"]
            assert len([i for i in replies if code in i["text"]]) == 3
            assert "0912345678" not in response.text

            forbidden = requests.get(f"{base}/api/v1/dossiers/{code}/zalo-conversation",
                                     headers=officials.headers("van_thu"), timeout=10)
            assert forbidden.status_code == 403 and forbidden.json()["code"] == "role_not_allowed"
            with Session(wiring.db) as session:
                reads = session.exec(select(AuditEntry).where(AuditEntry.action == "dossier.zalo_conversation")).all()
            assert [(r.actor, r.dossier_code) for r in reads] == [("chuyen_vien", code)]

            other = officials.intake("0987654321", "Trần Thị Bình")  # no Zalo account proved this phone
            unlinked = requests.get(f"{base}/api/v1/dossiers/{other}/zalo-conversation", headers=reader, timeout=10)
            assert unlinked.json() == {"zalo_linked": False, "note": NOT_LINKED, "items": []}
