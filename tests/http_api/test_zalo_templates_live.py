"""Issue 18 part 2 over HTTP and the Zalo emulator: the start-up check of the templates is green with the
defaults and shown to administrators (and in /readyz); a template message reaches a citizen with its tracking
id, Zalo's delivery events set `delivered_at` and `seen_at`, seen by the administrator and on the dossier;
after the emulator disables a template and renames a parameter, the on-demand check reports each problem."""

from __future__ import annotations

from typing import Any

import requests
from live import Citizen, live_server, wait_for
from test_zalo_e2e import Officials

from connectors.outbox import tracking_id_for
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

API = "/api/v1/admin/zalo/templates"


def sent_receipts(base: str, headers: dict[str, str], code: str) -> list[dict[str, Any]]:
    items = requests.get(f"{base}/api/v1/admin/messages", params={"state": "sent", "page_size": 100},
                         headers=headers, timeout=10).json()["items"]
    return [m for m in items if m["subject"] == code and m["event"] == "TIEP_NHAN"]


class TestTemplatesOverHttp:
    def test_checked_at_start_delivered_and_seen_then_mismatches_reported(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, _wiring):
            officials = Officials(base)
            admin = officials.headers("quan_tri")
            # The start-up check runs once the OA has its token; its result is kept for administrators.
            at_start = wait_for(lambda: requests.get(f"{base}{API}", headers=admin, timeout=10).json()["last_check"])
            configured = requests.get(f"{base}{API}", headers=admin, timeout=10).json()
            ready = requests.get(f"{base}/readyz", headers=admin, timeout=10).json()

            # A citizen on Zalo who never wrote to the OA: the receipt goes as a template, by phone.
            citizen = Citizen(base, "84912345678")
            code = officials.intake("0912345678", "Nguyễn Văn An")
            [receipt] = wait_for(lambda: [m for m in sent_receipts(base, admin, code) if m["delivered_at"]])
            [template] = [m for m in citizen.inbox() if m["type"] == "template"]
            seen = requests.post(f"{base}/zalo-emulator/users/{citizen.user_id}/seen", json={}, timeout=5)
            assert seen.status_code == 200, seen.text
            [read] = wait_for(lambda: [m for m in sent_receipts(base, admin, code) if m["seen_at"]])
            on_dossier = requests.get(f"{base}/api/v1/dossiers/{code}/messages", timeout=10,
                                      headers=officials.headers("mot_cua")).json()["items"]

            # Zalo's side changes: a template disabled, a parameter renamed in ZBS.
            for template_id, change in (("400004", {"status": "DISABLE"}), ("400002", {"rename": {"ten": "ho_ten"}})):
                response = requests.post(f"{base}/zalo-emulator/templates/{template_id}", json=change, timeout=5)
                assert response.status_code == 200, response.text
            checked = requests.post(f"{base}{API}/check", headers=admin, timeout=30)
            after = requests.get(f"{base}{API}", headers=admin, timeout=10).json()
            ready_after = requests.get(f"{base}/readyz", headers=admin, timeout=10)
            desk = requests.post(f"{base}{API}/check", headers=officials.headers("mot_cua"), timeout=10)

        assert at_start["ok"] is True, at_start
        assert {t["kind"]: (t["template_id"], t["status"], t["problems"]) for t in at_start["templates"]}[
            "tiep_nhan"] == ("400004", "ENABLE", [])
        assert configured["mode"] == "production" and configured["default_template_id"] == "400001"
        kinds = {t["kind"]: t for t in configured["templates"]}
        assert kinds["tiep_nhan"] == {"kind": "tiep_nhan", "template_id": "400004", "events": ["TIEP_NHAN"], "params": {
            "ten": "ten", "ma_ho_so": "ma_ho_so", "trang_thai": "trang_thai", "cta_url": "cta_url"}}
        assert kinds["xac_thuc"]["params"] == {"otp": "otp"}
        assert ready["zalo_templates"]["ok"] is True and ready["zalo_templates"]["problems"] == 0

        # The template carried the row's tracking id and no button title; Zalo's events set the times.
        assert template["template_id"] == "400004" and "cta_text" not in template["template_data"]
        # The citizen still sees the button: its title registered with the template, its link our parameter.
        assert template["buttons"] == [{"title": "Xem Giấy tiếp nhận", "url": f"{base}/tra-cuu?ma={code}"}]
        assert template["tracking_id"] == receipt["tracking_id"] == tracking_id_for(f"{code}:TIEP_NHAN:1")
        assert receipt["provider_message_id"] == template["message_id"]
        assert receipt["delivered_at"].endswith("+07:00") and receipt["seen_at"] is None
        assert read["seen_at"].endswith("+07:00") and read["delivered_at"] == receipt["delivered_at"]
        [listed] = [m for m in on_dossier if m["event"] == "TIEP_NHAN"]
        assert (listed["delivered_at"], listed["seen_at"]) == (read["delivered_at"], read["seen_at"])

        assert checked.status_code == 200, checked.text
        report = {t["kind"]: t for t in checked.json()["templates"]}
        assert checked.json()["ok"] is False
        assert (report["tiep_nhan"]["status"], report["tiep_nhan"]["problems"]) == ("DISABLE", [
            "Mẫu tin 400004 đang ở trạng thái DISABLE trên Zalo, chưa gửi được (cần trạng thái ENABLE: đã được "
            "duyệt và đang bật)."])
        assert report["bo_sung"]["problems"] == [
            "Tham số bắt buộc «ho_ten» của mẫu tin 400002 chưa được ánh xạ tới trường nào của tin nhắn.",
            "Tham số «ten» trong cấu hình không có trong mẫu tin 400002 trên Zalo."]
        assert [k for k, t in report.items() if not t["ok"]] == ["tiep_nhan", "bo_sung"]
        assert after["last_check"] == checked.json()
        # Readiness reports the mismatch without refusing traffic.
        assert ready_after.status_code == 200
        assert ready_after.json()["zalo_templates"]["failing"] == ["tiep_nhan", "bo_sung"]
        assert desk.status_code == 403


class TestPilotInDevelopmentMode:
    def test_only_the_oas_testers_receive_and_the_dossier_says_why_the_others_do_not(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        pilot = settings.model_copy(update={"zalo": settings.zalo.model_copy(update={"template_mode": "development"})})
        with live_server(pilot, clock) as (base, _wiring):
            officials = Officials(base)
            admin, desk = officials.headers("quan_tri"), officials.headers("mot_cua")
            tester, citizen = Citizen(base, "84912345678"), Citizen(base, "84987654321")
            added = requests.post(f"{base}/zalo-emulator/testers", json={"user_id": tester.user_id}, timeout=5)
            assert added.status_code == 200, added.text
            tried = officials.intake("0912345678", "Nguyễn Văn An")
            refused = officials.intake("0987654321", "Trần Thị Bình")
            assert wait_for(lambda: sent_receipts(base, admin, tried))
            unreachable = wait_for(lambda: [m for m in requests.get(
                f"{base}/api/v1/admin/messages", params={"state": "unreachable"}, headers=admin, timeout=10,
            ).json()["items"] if m["subject"] == refused])
            on_dossier = requests.get(f"{base}/api/v1/dossiers/{refused}/messages", headers=desk,
                                      timeout=10).json()["items"]
            mode = requests.get(f"{base}{API}", headers=admin, timeout=10).json()["mode"]
            tester_inbox, citizen_inbox = tester.inbox(), citizen.inbox()

        assert [m["mode"] for m in tester_inbox if m["type"] == "template"] == ["development"]
        assert citizen_inbox == []
        [message] = unreachable
        # Zalo's -127 (asserted on the wire in tests/connectors/test_zalo_templates.py) is recorded by its reason.
        assert message["reason"] == "not_template_tester: template_phone: not_template_tester", message
        [listed] = [m for m in on_dossier if m["event"] == "TIEP_NHAN"]
        assert listed["problems"] == [
            "Tin nhắn không đến được công dân: mẫu tin Zalo đang ở chế độ thử nghiệm (development), chỉ gửi được "
            "cho quản trị viên của OA."]
        assert mode == "development"
