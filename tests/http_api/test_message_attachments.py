"""Issue 16 item 6 over HTTP and the Zalo emulator: an official's PNG attachment reaches the citizen as an
image (Zalo's upload/file takes PDF/DOC/DOCX only); one Zalo will not take (a picture over 1 MB) does not take
the text down with it: it goes as a link to the dossier's page (issue 18 part 5), and the official reads on the
dossier which file went as a link and why."""

from __future__ import annotations

from typing import Any

import requests
from live import Citizen, live_server, wait_for
from test_zalo_e2e import Officials, follow_and_share

from workflows.core.clock import ManualClock
from workflows.core.config import Settings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def upload(base: str, headers: dict[str, str], code: str, name: str, content: bytes) -> int:
    response = requests.post(f"{base}/api/v1/dossiers/{code}/documents", headers=headers, timeout=30,
                             files={"file": (name, content, "image/png")})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def send(base: str, headers: dict[str, str], code: str, text: str, document_id: int) -> None:
    response = requests.post(f"{base}/api/v1/dossiers/{code}/messages", headers=headers, timeout=30,
                             json={"text": text, "document_id": document_id})
    assert response.status_code == 202, response.text


def settled(base: str, headers: dict[str, str], code: str) -> list[dict[str, Any]] | None:
    items = requests.get(f"{base}/api/v1/dossiers/{code}/messages", headers=headers, timeout=10).json()["items"]
    mine = [m for m in items if m["kind"] == "official_message"]
    return mine if len(mine) == 2 and all(m["status"] == "sent" for m in mine) else None


class TestAnOfficialsAttachment:
    def test_an_image_goes_as_an_image_and_a_refused_one_is_shown_on_the_dossier(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, _wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            officials = Officials(base)
            code = officials.intake("0912345678", "Nguyễn Văn An")
            headers = officials.headers("mot_cua")
            small = upload(base, headers, code, "so-do-phong-hat.png", PNG_SIGNATURE + b"\0" * 2_000)
            large = upload(base, headers, code, "anh-mat-tien.png", PNG_SIGNATURE + b"\0" * 1_200_000)
            send(base, headers, code, "Sơ đồ phòng hát đã được điều chỉnh theo góp ý.", small)
            send(base, headers, code, "Ảnh mặt tiền cơ sở đề nghị bổ sung.", large)

            messages = wait_for(lambda: settled(base, headers, code))
            inbox = citizen.inbox()

        assert messages, "both messages should be sent"
        first, second = messages
        assert first["problems"] == [], first
        assert second["problems"] == [
            "Tệp «anh-mat-tien.png» không gửi kèm được qua Zalo (tệp 1,1 MB, lớn hơn giới hạn 1 MB của Zalo): "
            "công dân nhận liên kết đến trang tra cứu hồ sơ để xem và tải tệp sau khi nhập thông tin xác minh."
        ], second
        assert second["text"] == (f"[Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang] Về hồ sơ {code}: "
                                  "Ảnh mặt tiền cơ sở đề nghị bổ sung.")
        texts = [m.get("text") for m in inbox if m["type"] == "text"]
        assert second["text"] in texts and first["text"] in texts, texts
        assert "Tệp «anh-mat-tien.png» (1,1 MB) quá lớn để gửi qua Zalo" in texts[-1], texts
        images = [m["file"]["filename"] for m in inbox if m["type"] == "image"]
        assert images == ["so-do-phong-hat.png"], inbox
        assert not any((m.get("file") or {}).get("filename") == "anh-mat-tien.png" for m in inbox)


class TestACitizenOutOfReach:
    def test_the_official_reads_why_no_message_arrives(self, settings: Settings, clock: ManualClock, db: Any) -> None:
        with live_server(settings, clock) as (base, _wiring):
            officials = Officials(base)
            code = officials.intake("0900000001", "Trần Thị Bình")  # a phone with no Zalo account
            headers = officials.headers("mot_cua")

            def receipt() -> dict[str, Any] | None:
                items = requests.get(f"{base}/api/v1/dossiers/{code}/messages", headers=headers,
                                     timeout=10).json()["items"]
                return next((m for m in items if m["status"] not in ("pending", "sending")), None)

            message = wait_for(receipt)

        assert message is not None
        assert (message["event"], message["status"], message["status_name"]) == (
            "TIEP_NHAN", "unreachable", "Không gửi được: công dân không nhận được tin qua Zalo")
        assert message["problems"] == [
            "Tin nhắn không đến được công dân: số điện thoại của hồ sơ chưa đăng ký Zalo."], message
