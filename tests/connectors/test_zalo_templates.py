"""Issue 18 part 2, "Templates", against the emulator over HTTP: the configured templates checked with Zalo's
template-info API (green with the defaults; a disabled template, a renamed or shortened parameter, an
unknown id each reported in Vietnamese), every template message sent with the row's tracking id and without
the button title, Zalo's development mode delivering to testers only, and the template settings."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from zalo_world import ZaloWorld

from connectors.outbox import OutgoingMessage, Recipient, UnreachableRecipient, tracking_id_for
from connectors.zalo.errors import ZaloUnreachable
from connectors.zalo.sender import ZaloSender
from connectors.zalo.tokens import DbTokenStore
from connectors.zalo.webhook import parse_event
from workflows.core.config import Settings, ZaloSettings
from workflows.zalo.templates import TemplateChecker, book_from_settings

KEY = "H60.22-261124-0001:TIEP_NHAN:1"
FIELDS = {"ten": "Nguyễn Văn A", "ma_ho_so": "H60.22-261124-0001", "trang_thai": "Được tiếp nhận",
          "cta_text": "Xem Giấy tiếp nhận hồ sơ", "cta_url": "https://example.gov.vn/tra-cuu?ma=H60.22-261124-0001"}


def checker(zalo: ZaloWorld, settings: ZaloSettings | None = None) -> TemplateChecker:
    settings = settings or ZaloSettings()
    return TemplateChecker(client=zalo.client, book=book_from_settings(settings), tokens=zalo.tokens,
                           now=zalo.clock.now, mode=settings.template_mode)


def change(zalo: ZaloWorld, template_id: str, **body: Any) -> None:
    response = zalo.http.post(zalo.url(f"/templates/{template_id}"), json=body, timeout=5)
    assert response.status_code == 200, response.text


def by_kind(report: Any) -> dict[str, Any]:
    return {c.kind: c for c in report.templates}


def message(event: str = "TIEP_NHAN", key: str = KEY) -> OutgoingMessage:
    payload = {"event": event, "text": "Hồ sơ đã được tiếp nhận.", "template": FIELDS}
    return OutgoingMessage(id=1, idempotency_key=key, kind="dossier_event", subject_ref="H60.22-261124-0001",
                           recipient_ref="dossier:H60.22-261124-0001", payload=payload, attempts=0, parts_done=0)


def sender(zalo: ZaloWorld, **settings: Any) -> ZaloSender:
    zalo_settings = ZaloSettings(**settings)
    return ZaloSender(client=zalo.client, db_engine=zalo.db, now=zalo.clock.now,
                      load_attachment=lambda _id: ("x.pdf", b""), templates=book_from_settings(zalo_settings),
                      template_mode=zalo_settings.template_mode)


class TestTemplateCheck:
    def test_the_defaults_match_the_emulators_templates(self, zalo: ZaloWorld) -> None:
        report = checker(zalo).check()
        assert report.ok, [(c.kind, c.status, c.problems) for c in report.templates]
        assert {c.kind: c.template_id for c in report.templates} == {
            "cap_nhat": "400001", "tiep_nhan": "400004", "bo_sung": "400002", "ket_qua": "400003",
            "tu_choi": "400005", "nhac_han": "400006", "xin_loi": "400007", "nghia_vu": "400008",
            "xac_thuc": "400010"}
        assert {c.status for c in report.templates} == {"ENABLE"}

    def test_a_disabled_template_and_a_renamed_parameter_are_reported_in_vietnamese(self, zalo: ZaloWorld) -> None:
        change(zalo, "400004", status="DISABLE")
        change(zalo, "400002", rename={"ten": "ho_ten"})
        change(zalo, "400003", params={"ten": 30, "ma_ho_so": 30, "trang_thai": 30, "cta_url": 100})
        change(zalo, "400005", types={"ma_ho_so": "NUMBER"})
        checks = by_kind(checker(zalo).check())
        assert (checks["tiep_nhan"].status, checks["tiep_nhan"].problems) == ("DISABLE", [
            "Mẫu tin 400004 đang ở trạng thái DISABLE trên Zalo, chưa gửi được (cần trạng thái ENABLE: đã được "
            "duyệt và đang bật)."])
        assert (checks["bo_sung"].status, checks["bo_sung"].problems) == ("ENABLE", [
            "Tham số bắt buộc «ho_ten» của mẫu tin 400002 chưa được ánh xạ tới trường nào của tin nhắn.",
            "Tham số «ten» trong cấu hình không có trong mẫu tin 400002 trên Zalo."])
        assert checks["ket_qua"].problems == [
            "Tham số «cta_url» chỉ nhận tối đa 100 ký tự, trong khi trường «cta_url» có thể dài tới 200 ký tự."]
        assert checks["tu_choi"].problems == [
            "Tham số «ma_ho_so» có kiểu NUMBER trên Zalo, trong khi trường «ma_ho_so» là chuỗi ký tự (cần kiểu "
            "STRING)."]
        assert all(checks[k].ok for k in ("cap_nhat", "nhac_han", "xin_loi", "xac_thuc"))

    def test_the_mapping_fixes_a_renamed_parameter(self, zalo: ZaloWorld) -> None:
        change(zalo, "400002", rename={"ten": "ho_ten"})
        settings = ZaloSettings(templates={"bo_sung": {"params": {
            "ho_ten": "ten", "ma_ho_so": "ma_ho_so", "trang_thai": "trang_thai", "cta_url": "cta_url"}}})
        assert by_kind(checker(zalo, settings).check())["bo_sung"].ok
        user = zalo.user(follow=False)
        sender(zalo, templates=settings.templates).send(message("BO_SUNG"), Recipient(None, user["phone"], "A"))
        [sent] = zalo.inbox(phone=user["phone"])
        assert sent["template_id"] == "400002" and sent["template_data"]["ho_ten"] == "Nguyễn Văn A"
        assert sent["text"].startswith("Kính gửi Nguyễn Văn A. Hồ sơ H60.22-261124-0001 cần bổ sung")

    def test_an_unknown_template_id(self, zalo: ZaloWorld) -> None:
        settings = ZaloSettings(templates={"xin_loi": {"template_id": "499999"}})
        checks = by_kind(checker(zalo, settings).check())
        assert (checks["xin_loi"].status, checks["xin_loi"].problems) == ("NOT_FOUND", [
            "Zalo không tìm thấy mẫu tin 499999 (mã lỗi -109): kiểm tra mã mẫu tin trong cấu hình."])


    def test_without_a_grant_the_check_says_why_in_vietnamese(self, zalo: ZaloWorld) -> None:
        with zalo.db.begin() as connection:
            connection.execute(text("DELETE FROM zalo_token"))
        ungranted = TemplateChecker(client=zalo.new_client(tokens=DbTokenStore(zalo.db)),
                                    book=book_from_settings(ZaloSettings()), tokens=DbTokenStore(zalo.db),
                                    now=zalo.clock.now, mode="production")
        report = ungranted.check_at_start(wait_seconds=0.2, poll=0.05)
        assert not report.ok and {c.status for c in report.templates} == {"UNKNOWN"}
        assert by_kind(report)["tiep_nhan"].problems == [
            "Chưa kiểm tra được mẫu tin 400004 với Zalo: OA chưa cấp quyền cho ứng dụng hoặc mã truy cập không còn "
            "dùng được (quản trị viên cần cấp quyền lại)."]
        assert ungranted.readiness()["failing"] == list(by_kind(report))


class TestTemplateMessages:
    @pytest.mark.parametrize("channel", ["template_uid", "template_phone"])
    def test_the_tracking_id_travels_and_the_button_title_does_not(self, zalo: ZaloWorld, channel: str) -> None:
        user = zalo.user()  # followed: interacted, so reachable by user id outside the 7-day window
        zalo.clock.advance(timedelta(days=8))
        recipient = (Recipient(user["user_id"], None, "A") if channel == "template_uid"
                     else Recipient(None, user["phone"], "A"))
        result = sender(zalo).send(message(), recipient)
        [sent] = [m for m in zalo.inbox(user_id=user["user_id"]) if m["type"] == "template"]
        assert result.channel_used == channel and sent["channel"] == channel
        assert sent["template_id"] == "400004"  # TIEP_NHAN's own template
        assert sent["tracking_id"] == tracking_id_for(KEY) == "H60.22-261124-0001-TIEP_NHAN-1"
        assert set(sent["template_data"]) == {"ten", "ma_ho_so", "trang_thai", "cta_url"}
        assert "Xem Giấy tiếp nhận hồ sơ" not in json.dumps(sent, ensure_ascii=False)
        [event] = [d["event"] for d in zalo.app.state.webhooks.deliveries
                   if d["event_name"] == "user_received_message"]
        assert event["message"] == {"delivery_time": event["timestamp"], "msg_id": sent["message_id"],
                                    "tracking_id": tracking_id_for(KEY)}
        assert event["recipient"]["id"] == (user["user_id"] if channel == "template_uid" else user["phone"])

    def test_a_long_key_keeps_its_end_within_48_characters(self) -> None:
        key = "feedback-answer:PAKN-2026-000123:TRA_LOI_PAKN:" + "x" * 30 + ":12"
        assert len(tracking_id_for(key)) == 48 and tracking_id_for(key).endswith("-12")


class TestDeliveryEventKeys:
    def test_received_and_seen_of_one_message_are_two_events(self) -> None:
        def key(name: str) -> str:
            raw = {"event_name": name, "timestamp": "1764900000000", "sender": {"id": "1"},
                   "recipient": {"id": "2512523625412515"}, "message": {"msg_id": "a4d0243f"}}
            return parse_event(json.dumps(raw).encode()).key

        assert key("user_received_message") == "user_received_message:a4d0243f"
        assert key("user_seen_message") == "user_seen_message:a4d0243f"
        assert key("user_send_text") == "msg:a4d0243f"


class TestDevelopmentMode:
    def test_a_tester_receives_anyone_else_is_refused_with_zalos_code(self, zalo: ZaloWorld) -> None:
        tester, citizen = zalo.user(follow=False), zalo.user(follow=False)
        added = zalo.http.post(zalo.url("/testers"), json={"user_id": tester["user_id"]}, timeout=5)
        assert added.status_code == 200, added.text
        pilot = sender(zalo, template_mode="development")
        assert pilot.send(message(), Recipient(None, tester["phone"], "A")).channel_used == "template_phone"
        [sent] = zalo.inbox(phone=tester["phone"])
        assert sent["mode"] == "development"
        with pytest.raises(UnreachableRecipient) as refused:
            pilot.send(message(key="H60.22-261124-0002:TIEP_NHAN:1"), Recipient(None, citizen["phone"], "B"))
        assert refused.value.reason == "not_template_tester"
        assert zalo.inbox(phone=citizen["phone"]) == []
        with pytest.raises(ZaloUnreachable) as direct:
            zalo.client.send_template_by_phone(citizen["phone"], "400001", FIELDS, "t-1", mode="development")
        assert direct.value.code == -127
        # In production mode (no `mode` sent) the same citizen receives it.
        sender(zalo).send(message(key="H60.22-261124-0002:TIEP_NHAN:1"), Recipient(None, citizen["phone"], "B"))
        assert [m["mode"] for m in zalo.inbox(phone=citizen["phone"])] == ["production"]


class TestTemplateSettings:
    def test_a_kind_in_the_environment_replaces_only_the_fields_it_names(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("MOTCUA_ZALO__TEMPLATES", json.dumps({"tiep_nhan": {"template_id": "7895417a"}}))
        templates = Settings().zalo.templates
        assert templates["tiep_nhan"].template_id == "7895417a"
        assert templates["tiep_nhan"].params == {"ten": "ten", "ma_ho_so": "ma_ho_so", "trang_thai": "trang_thai",
                                                 "cta_url": "cta_url"}
        assert templates["tiep_nhan"].events == ["TIEP_NHAN"] and templates["bo_sung"].template_id == "400002"

    @pytest.mark.parametrize("suffix", [".json", ".toml"])
    def test_a_file_of_templates(self, tmp_path: Path, suffix: str) -> None:
        path = tmp_path / f"templates{suffix}"
        if suffix == ".json":
            path.write_text(json.dumps({"ket_qua": {"template_id": "2a3b", "params": {"customer": "ten"}}}))
        else:
            path.write_text('[ket_qua]\ntemplate_id = "2a3b"\n[ket_qua.params]\ncustomer = "ten"\n')
        templates = ZaloSettings(templates_file=path).templates
        assert (templates["ket_qua"].template_id, templates["ket_qua"].params) == ("2a3b", {"customer": "ten"})
        assert templates["ket_qua"].events == ["DA_CO_KET_QUA", "TRA_KET_QUA"]
        assert templates["xin_loi"].template_id == "400007"

    def test_an_event_of_two_kinds_is_refused(self) -> None:
        with pytest.raises(ValueError, match="an event belongs to one kind only: TIEP_NHAN in cap_nhat, tiep_nhan"):
            ZaloSettings(templates={"cap_nhat": {"events": ["TIEP_NHAN"]}})
