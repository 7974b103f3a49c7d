"""Issue 18 part 6 over HTTP and the Zalo emulator: a photo and a location sent in the chat become part of the
citizen's feedback case, which the official opens (the photo downloaded byte for byte, the location shown);
the photo is encrypted on disk; every event Zalo may send, an unknown one and a signed unreadable body are
stored and answered 200, a bad signature still refused."""

from __future__ import annotations

import json
import secrets
from typing import Any

import requests
from fastapi.testclient import TestClient
from live import Citizen, live_server, wait_for
from sqlmodel import Session, col, select
from test_zalo_citizen import ask
from test_zalo_e2e import Officials

from connectors.zalo.webhook import ZaloEventRecord, sign
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.documents.storage import MAGIC
from workflows.feedback.models import FeedbackAttachment
from workflows.zalo import citizen_media

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + secrets.token_bytes(40_000) + b"\xff\xd9"
LAT, LONG = 21.823456, 105.214321


def send(citizen: Citizen, action: str, **kwargs: Any) -> None:
    response = requests.post(f"{citizen.base}/zalo-emulator/users/{citizen.user_id}/{action}", timeout=10, **kwargs)
    assert response.status_code == 200, response.text


def next_reply(citizen: Citizen, before: int) -> str:
    got = wait_for(lambda: citizen.inbox()[before:])
    assert got, "no reply"
    return str(got[-1].get("text"))


class TestPhotoBecomesPartOfTheCase:
    def test_photo_and_location_sent_in_the_chat_are_opened_by_the_official(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, wiring):
            citizen = Citizen(base, "84900000002")
            citizen.act("follow")
            wait_for(lambda: len(citizen.inbox()) >= 2)
            before = len(citizen.inbox())
            send(citizen, "send-image", data=PHOTO, headers={"content-type": "image/jpeg"})
            no_case = next_reply(citizen, before)

            opened = ask(citizen, "Phản ánh: đèn đường trước cổng trụ sở phường bị hỏng nhiều ngày")
            code = next(word.strip(".,:") for word in opened.split() if word.startswith("PAKN-"))
            before = len(citizen.inbox())
            send(citizen, "send-image", data=PHOTO, headers={"content-type": "image/jpeg"})
            photo_answer = next_reply(citizen, before)
            before = len(citizen.inbox())
            send(citizen, "send-location", json={"latitude": LAT, "longitude": LONG})
            location_answer = next_reply(citizen, before)

            officials = Officials(base)
            desk, other = officials.headers("mot_cua"), officials.headers("mot_cua_dl")
            case = requests.get(f"{base}/api/v1/feedback/{code}", headers=desk, timeout=10).json()
            [photo, location] = case["attachments"]
            download = requests.get(f"{base}{photo['download_url']}", headers=desk, timeout=10)
            refused = requests.get(f"{base}{photo['download_url']}", headers=other, timeout=10)
            location_download = requests.get(f"{base}/api/v1/feedback/{code}/attachments/{location['id']}",
                                             headers=desk, timeout=10)
            with Session(wiring.db) as session:
                rows = session.exec(select(FeedbackAttachment).order_by(col(FeedbackAttachment.id))).all()
                reads = session.exec(select(AuditEntry).where(AuditEntry.action == "feedback.attachment_read")).all()
                read_by = [(e.actor, e.data["feedback"]) for e in reads]
            store = wiring.domain.store
            on_disk = (store.directory / rows[0].storage_key[:2] / rows[0].storage_key[2:4]
                       / rows[0].storage_key).read_bytes()

        assert no_case == citizen_media.NO_CASE == (
            "Để gửi ảnh hoặc vị trí kèm phản ánh, kiến nghị, vui lòng nhắn PHẢN ÁNH <nội dung> trước, rồi gửi ảnh "
            "hoặc vị trí trong vòng 30 phút.")
        assert opened.endswith("Ông/bà có thể gửi thêm ảnh, vị trí trong vòng 30 phút để bổ sung cho phản ánh này.")
        assert photo_answer == (f"Đã nhận 1 ảnh kèm phản ánh, kiến nghị {code}. Cán bộ xử lý sẽ xem cùng nội dung "
                                "phản ánh.")
        assert location_answer == (f"Đã nhận vị trí kèm phản ánh, kiến nghị {code}. Cán bộ xử lý sẽ xem cùng nội "
                                   "dung phản ánh.")
        # The official sees the photo and the location on the case; the photo comes back byte for byte.
        assert (photo["kind"], photo["status"], photo["content_type"], photo["size"]) == (
            "image", "stored", "image/jpeg", len(PHOTO))
        assert photo["filename"] == f"{code}-anh-1.jpg"
        assert (location["kind"], location["location"], location["download_url"]) == (
            "location", {"latitude": LAT, "longitude": LONG}, None)
        assert case["location"] == {"latitude": LAT, "longitude": LONG}
        assert download.status_code == 200 and download.content == PHOTO
        assert download.headers["content-type"] == "image/jpeg"
        assert download.headers["x-content-type-options"] == "nosniff"
        assert refused.status_code == 404  # another department: as for the case itself
        assert (location_download.status_code, location_download.json()["code"]) == (404, "attachment_not_found")
        assert read_by == [("mot_cua", code)]
        # At rest: the photo encrypted in the file store, the location encrypted in the database.
        assert on_disk.startswith(MAGIC) and PHOTO[:2000] not in on_disk and PHOTO[-2000:] not in on_disk
        assert rows[1].location_enc and "21.82" not in rows[1].location_enc and "105.21" not in rows[1].location_enc

    def test_a_photo_zalo_cannot_give_is_recorded_and_the_citizen_asked_again(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, _wiring):
            citizen = Citizen(base, "84900000003")
            citizen.act("follow")
            wait_for(lambda: len(citizen.inbox()) >= 2)
            opened = ask(citizen, "phan anh Vỉa hè trước chợ bị lấn chiếm làm nơi để xe")
            code = next(word.strip(".,:") for word in opened.split() if word.startswith("PAKN-"))
            before = len(citizen.inbox())
            huge = b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024)  # over the 5 MB bound
            send(citizen, "send-image", data=huge, headers={"content-type": "image/jpeg"})
            answer = next_reply(citizen, before)
            case = requests.get(f"{base}/api/v1/feedback/{code}", headers=Officials(base).headers("mot_cua"),
                                timeout=10).json()

        assert answer == "Chưa nhận được 1 ảnh do lỗi khi tải ảnh từ Zalo; vui lòng gửi lại ảnh."
        [failed] = case["attachments"]
        assert (failed["status"], failed["download_url"]) == ("failed", None)
        assert failed["error"].startswith("ảnh quá lớn"), failed


CATALOGUE = (
    "user_send_text", "user_send_image", "user_send_link", "user_send_audio", "user_send_video",
    "user_send_sticker", "user_send_gif", "user_send_location", "user_send_file", "user_send_business_card",
    "oa_send_text", "oa_send_image", "oa_send_gif", "oa_send_list", "oa_send_file", "oa_send_sticker",
    "user_received_message", "user_seen_message", "follow", "unfollow", "user_submit_info", "add_user_to_tag",
    "update_user_info", "anonymous_send_text", "shop_has_order", "change_template_status",
    "change_oa_daily_quota", "user_feedback", "some_event_zalo_adds_next_year",
)
USER, OA = "4512345678901234567", "388613280878808645"


def event(name: str, timestamp: str, app_id: str) -> dict[str, Any]:
    """The event as Zalo shapes it (ZALO_API.md §8.5, §8.6, §9.8)."""
    body: dict[str, Any] = {"app_id": app_id, "event_name": name, "timestamp": timestamp}
    if name in ("follow", "unfollow"):
        return {**body, "oa_id": OA, "follower": {"id": USER}, "source": "oa_profile"}
    if name == "add_user_to_tag":
        return {**body, "oa_id": OA, "tag": {"user_ids": [USER], "name": "Phường Minh Xuân"}}
    if name == "user_received_message":  # a template delivered by phone names the phone
        return {**body, "sender": {"id": OA}, "recipient": {"id": "84912345678"},
                "message": {"delivery_time": timestamp, "msg_id": f"d{timestamp}", "tracking_id": "TIEP-NHAN-1"}}
    if name == "user_seen_message":
        return {**body, "sender": {"id": OA}, "recipient": {"id": USER}, "message": {"msg_ids": ["a1", "a2"]}}
    if name == "change_template_status":
        return {**body, "template_id": "123456", "status": {"prev_status": "PENDING_REVIEW", "new_status": "ENABLE"}}
    if name == "user_submit_info":
        return {**body, "sender": {"id": USER}, "recipient": {"id": OA},
                "info": {"name": "Nguyễn Văn An", "phone": "84912345678"}}
    direction = ({"sender": {"id": OA}, "recipient": {"id": USER}} if name.startswith("oa_")
                 else {"sender": {"id": USER}, "recipient": {"id": OA}})
    attachments = {"user_send_image": [{"type": "image", "payload": {"url": "http://127.0.0.1:9/x.jpg"}}],
                   "user_send_location": [{"type": "location", "payload": {"coordinates": {
                       "latitude": "21.82", "longitude": "105.21"}}}],
                   "user_send_file": [{"type": "file", "payload": {"url": "http://127.0.0.1:9/a.pdf",
                                                                    "name": "a.pdf", "size": "100", "type": "pdf"}}]}
    message: dict[str, Any] = {"msg_id": f"m{timestamp}", "text": "xin chào" if "text" in name else ""}
    if name in attachments:
        message["attachments"] = attachments[name]
    return {**body, **direction, "message": message}


class TestEveryEventIsStored:
    def test_catalogue_unknown_and_unreadable_answered_200_and_stored(
        self, app_client: TestClient, clock: ManualClock
    ) -> None:
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        zalo = wiring.settings.zalo
        secret = zalo.oa_secret_key.get_secret_value()
        base_ms = int(clock.now().timestamp() * 1000)

        def post(raw: bytes, timestamp: str, mac: str | None = None) -> Any:
            mac = mac or sign(app_id=zalo.app_id, raw_body=raw, timestamp=timestamp, oa_secret_key=secret)
            return app_client.post("/api/v1/zalo/webhook", content=raw, headers={
                "content-type": "application/json", "X-ZEvent-Signature": f"mac={mac}"})

        answers = {}
        for n, name in enumerate(CATALOGUE):
            timestamp = str(base_ms + n)
            response = post(json.dumps(event(name, timestamp, zalo.app_id), ensure_ascii=False).encode(), timestamp)
            answers[name] = (response.status_code, response.json().get("status"))
        broken_ts = str(base_ms + 100)
        broken = f'{{"app_id":"{zalo.app_id}","timestamp":"{broken_ts}","event_name":"user_send_te'.encode()
        unreadable = post(broken, broken_ts)
        unreadable_again = post(broken, broken_ts)
        no_name = json.dumps({"app_id": zalo.app_id, "timestamp": str(base_ms + 101)}).encode()
        nameless = post(no_name, str(base_ms + 101))
        forged = post(json.dumps(event("user_send_text", str(base_ms + 102), zalo.app_id)).encode(),
                      str(base_ms + 102), mac="0" * 64)
        forged_broken = post(broken, broken_ts, mac="0" * 64)
        no_timestamp = post(b"not json at all", "")
        with Session(wiring.db) as session:
            stored = session.exec(select(ZaloEventRecord)).all()

        assert answers == {name: (200, "ok") for name in CATALOGUE}, answers
        names = [r.event_name for r in stored]
        assert sorted(set(names) - {"unparseable"}) == sorted(CATALOGUE)
        assert (unreadable.status_code, unreadable.json()) == (200, {"status": "unparseable"})
        assert (unreadable_again.status_code, unreadable_again.json()) == (200, {"status": "duplicate"})
        assert (nameless.status_code, nameless.json()) == (200, {"status": "unparseable"})
        assert names.count("unparseable") == 2
        assert (forged.status_code, forged.json()["code"]) == (401, "invalid_signature")
        assert (forged_broken.status_code, forged_broken.json()["code"]) == (401, "invalid_signature")
        assert (no_timestamp.status_code, no_timestamp.json()["code"]) == (400, "invalid_event")
        assert len(stored) == len(CATALOGUE) + 2
        assert all("84912345678" not in f"{r.event_key} {r.user_id}" for r in stored)  # the phone hashed
