"""Issue 18 part 5, the done-when case over HTTP: an official sends the citizen a 12 MB scan through the
dossier's message route. Zalo takes files up to 5 MB only (ZALO_API.md §5; the emulator refuses larger ones
with -210), so the citizen receives the text and a link to the dossier's page; the message is `sent`, not
dead; the page asks for the second factor, and behind it offers the scan for download."""

from __future__ import annotations

from typing import Any

import requests
from live import Citizen, live_server, wait_for
from test_zalo_e2e import Officials, follow_and_share

from workflows.core.clock import ManualClock
from workflows.core.config import Settings

MB = 1024 * 1024
SCAN = b"%PDF-1.7\n" + b"0" * (12 * MB - 20) + b"\n%%EOF\n"


def official_message(base: str, headers: dict[str, str], code: str) -> dict[str, Any] | None:
    items = requests.get(f"{base}/api/v1/dossiers/{code}/messages", headers=headers, timeout=10).json()["items"]
    done = [m for m in items if m["kind"] == "official_message" and m["status"] not in ("pending", "sending")]
    return done[0] if done else None


class TestAnOfficialSendsA12MbScan:
    def test_the_citizen_gets_the_text_and_the_link_behind_the_second_factor(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, _wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            officials = Officials(base)
            code = officials.intake("0912345678", "Nguyễn Văn An")
            headers = officials.headers("mot_cua")
            uploaded = requests.post(f"{base}/api/v1/dossiers/{code}/documents", headers=headers, timeout=60,
                                     files={"file": ("giay-phep-scan.pdf", SCAN, "application/pdf")})
            assert uploaded.status_code == 201, uploaded.text
            document_id = int(uploaded.json()["id"])
            sent = requests.post(f"{base}/api/v1/dossiers/{code}/messages", headers=headers, timeout=30,
                                 json={"text": "Gửi Ông/Bà bản chụp giấy phép đã ký.", "document_id": document_id})
            assert sent.status_code == 202, sent.text

            message = wait_for(lambda: official_message(base, headers, code))
            inbox = citizen.inbox()
            link = f"{base}/tra-cuu?ma={code}"
            page = requests.get(link, timeout=10)
            without = requests.post(f"{base}/api/v1/public/documents", json={"code": code, "verifier": "0000"},
                                    timeout=10)
            factor = {"code": code, "verifier": "5678"}
            listed = requests.post(f"{base}/api/v1/public/documents", json=factor, timeout=10)
            download = requests.post(f"{base}/api/v1/public/documents/{document_id}", json=factor, timeout=30)

        assert message is not None
        assert (message["status"], message["status_name"]) == ("sent", "Đã gửi"), message
        assert message["problems"] == [
            "Tệp «giay-phep-scan.pdf» không gửi kèm được qua Zalo (tệp 12,0 MB, lớn hơn giới hạn 5 MB của Zalo): "
            "công dân nhận liên kết đến trang tra cứu hồ sơ để xem và tải tệp sau khi nhập thông tin xác minh."]
        texts = [m["text"] for m in inbox if m["type"] == "text"]
        assert texts[-2:] == [
            f"[Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang] Về hồ sơ {code}: "
            "Gửi Ông/Bà bản chụp giấy phép đã ký.",
            "Tệp «giay-phep-scan.pdf» (12,0 MB) quá lớn để gửi qua Zalo (Zalo chỉ nhận tệp PDF, DOC, DOCX đến 5 MB "
            "và ảnh JPG, PNG đến 1 MB). Để xem và tải tệp, Ông/Bà mở liên kết sau, nhập 4 chữ số cuối số điện "
            f"thoại hoặc CCCD/CMND của người nộp hồ sơ rồi bấm Tra cứu: {link}",
        ], texts
        assert not any((m.get("file") or {}).get("filename") == "giay-phep-scan.pdf" for m in inbox), inbox
        # The link carries the dossier code only: no phone, no name, no verifier.
        assert "912345678" not in link and "5678" not in link.removeprefix(base) and "An" not in link
        # It opens the lookup page, which asks for the second factor before showing anything.
        assert page.status_code == 200
        assert f'value="{code}"' in page.text and 'name="verifier"' in page.text
        assert without.status_code == 404, without.text
        assert listed.status_code == 200, listed.text
        assert "giay-phep-scan.pdf" in [d["filename"] for d in listed.json()["items"]]
        assert download.status_code == 200 and download.content == SCAN
