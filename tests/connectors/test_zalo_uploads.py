"""Issue 18 part 5 against the emulator over HTTP with the production client: each attachment goes its Zalo
way (ZALO_API.md §5) — a PDF/DOC/DOCX up to 5 MB as a file, a JPG/PNG up to 1 MB as an image — and anything
else as a text with the link to the dossier's page, decided before the upload or after Zalo's -201/-210."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session
from zalo_world import ZaloWorld

from connectors.outbox import OutgoingMessage, Recipient, SendResult
from connectors.zalo.emulator import DEFAULT_TEMPLATE_ID
from connectors.zalo.errors import ZaloBadRequest
from connectors.zalo.sender import ZaloSender
from connectors.zalo.users import record_user

MB = 1024 * 1024
CODE = "H60.22-261124-0001"
PAGE = f"https://dichvucong.example.gov.vn/tra-cuu?ma={CODE}"
ACCEPTED = "Zalo chỉ nhận tệp PDF, DOC, DOCX đến 5 MB và ảnh JPG, PNG đến 1 MB"
HOW = ("Để xem và tải tệp, Ông/Bà mở liên kết sau, nhập 4 chữ số cuối số điện thoại hoặc CCCD/CMND của người "
       f"nộp hồ sơ rồi bấm Tra cứu: {PAGE}")
TEXT = "Về hồ sơ H60.22-261124-0001: kết quả giải quyết gửi kèm."


def send(zalo: ZaloWorld, filename: str, size: int, *, url: str = PAGE, user: dict[str, Any] | None = None,
         uncertain: bool = False) -> tuple[SendResult, list[dict[str, Any]]]:
    """Send TEXT and one attachment of `size` bytes named `filename` to a (fresh) follower inside the window."""
    user = user or zalo.user()
    with Session(zalo.db) as session:
        record_user(session, user_id=user["user_id"], now=zalo.clock.now(), followed=True,
                    interacted_at=zalo.clock.now())
        session.commit()
    content = b"x" * size
    attachment: dict[str, Any] = {"document_id": "1", "filename": filename}
    if url:
        attachment["url"] = url
    message = OutgoingMessage(id=1, idempotency_key=f"{CODE}:MSG:1", kind="official_message", subject_ref=CODE,
                              recipient_ref=f"dossier:{CODE}", attempts=0, parts_done=0,
                              payload={"event": "TIN_NHAN", "text": TEXT, "attachment": attachment},
                              uncertain=uncertain, created_at=zalo.clock.now())
    sender = ZaloSender(client=zalo.client, db_engine=zalo.db, now=zalo.clock.now,
                        load_attachment=lambda _id: ("ignored.bin", content), default_template_id=DEFAULT_TEMPLATE_ID)
    result = sender.send(message, Recipient(zalo_user_id=user["user_id"], phone_84=user["phone"], display_name="A"))
    return result, zalo.inbox(user_id=user["user_id"])


class TestZalosLimitsInTheEmulator:
    """What the emulator answers the production client's uploads: Zalo's limits with Zalo's codes (§5, §10.1)."""

    @pytest.mark.parametrize(("upload", "filename", "size", "code"), [
        ("file", "ket-qua.pdf", int(5.1 * MB), -210),   # over 5 MB
        ("file", "ho-so.zip", 10_000, -201),            # not PDF/DOC/DOCX
        ("file", "anh-chup.jpg", 10_000, -201),         # images do not go through upload/file
        ("image", "anh-chup.jpg", int(1.2 * MB), -210),  # over 1 MB
        ("image", "ket-qua.pdf", 10_000, -201),         # not JPG/PNG
    ])
    def test_a_refused_upload_answers_zalos_code(self, zalo: ZaloWorld, upload: str, filename: str, size: int,
                                                 code: int) -> None:
        call = zalo.client.upload_file if upload == "file" else zalo.client.upload_image
        with pytest.raises(ZaloBadRequest) as refused:
            call(filename, b"x" * size)
        assert refused.value.code == code

    def test_the_limits_themselves_are_taken(self, zalo: ZaloWorld) -> None:
        assert zalo.client.upload_file("ket-qua.pdf", b"x" * (5 * MB))
        assert zalo.client.upload_file("to-khai.docx", b"x" * (5 * MB))
        assert zalo.client.upload_image("anh.png", b"x" * MB)


class TestEachKindItsWay:
    def test_a_4_9_mb_pdf_arrives_as_a_file(self, zalo: ZaloWorld) -> None:
        result, inbox = send(zalo, "ket-qua.pdf", int(4.9 * MB))
        assert [(m["type"], m.get("text")) for m in inbox] == [("text", TEXT), ("file", None)]
        assert (inbox[1]["file"]["filename"], inbox[1]["file"]["size"]) == ("ket-qua.pdf", int(4.9 * MB))
        assert result.note is None

    def test_a_docx_under_5_mb_arrives_as_a_file(self, zalo: ZaloWorld) -> None:
        _result, inbox = send(zalo, "to-trinh.docx", int(4.5 * MB))
        assert [m["type"] for m in inbox] == ["text", "file"]
        assert inbox[1]["file"]["filename"] == "to-trinh.docx"

    def test_a_0_9_mb_png_arrives_as_an_image(self, zalo: ZaloWorld) -> None:
        _result, inbox = send(zalo, "so-do.png", int(0.9 * MB))
        assert [m["type"] for m in inbox] == ["text", "image"]
        assert (inbox[1]["file"]["filename"], inbox[1]["file"]["size"]) == ("so-do.png", int(0.9 * MB))

    def test_a_5_1_mb_pdf_goes_as_the_link_without_an_upload(self, zalo: ZaloWorld) -> None:
        result, inbox = send(zalo, "ket-qua.pdf", int(5.1 * MB))
        assert [(m["type"], m["text"]) for m in inbox] == [("text", TEXT), ("text", (
            f"Tệp «ket-qua.pdf» (5,1 MB) quá lớn để gửi qua Zalo ({ACCEPTED}). {HOW}"))]
        assert zalo.state.uploads == {}  # decided before the upload: nothing was sent to Zalo
        assert result.note == "attachment_linked:ket-qua.pdf: tệp 5,1 MB, lớn hơn giới hạn 5 MB của Zalo"

    def test_a_1_2_mb_jpg_goes_as_the_link(self, zalo: ZaloWorld) -> None:
        # upload/file takes no image (the emulator answers -201, above): over 1 MB a photo has no Zalo way.
        result, inbox = send(zalo, "mat-tien.jpg", int(1.2 * MB))
        assert [m["type"] for m in inbox] == ["text", "text"]
        assert inbox[1]["text"] == f"Tệp «mat-tien.jpg» (1,2 MB) quá lớn để gửi qua Zalo ({ACCEPTED}). {HOW}"
        assert result.note == "attachment_linked:mat-tien.jpg: tệp 1,2 MB, lớn hơn giới hạn 1 MB của Zalo"

    @pytest.mark.parametrize("filename", ["bang-ke.xlsx", "ho-so.zip"])
    def test_a_type_zalo_does_not_take_goes_as_the_link(self, zalo: ZaloWorld, filename: str) -> None:
        result, inbox = send(zalo, filename, 300_000)
        assert [m["type"] for m in inbox] == ["text", "text"]
        assert inbox[1]["text"] == (f"Tệp «{filename}» (0,3 MB) không gửi được qua Zalo vì Zalo không nhận loại "
                                    f"tệp này ({ACCEPTED}). {HOW}")
        assert result.note == f"attachment_linked:{filename}: Zalo không nhận loại tệp này"

    def test_when_zalo_answers_210_anyway_the_file_goes_as_the_link(self, zalo: ZaloWorld) -> None:
        # Zalo lowered its limit: our plan says "file", the upload answers -210, the citizen still gets the link.
        zalo.http.post(zalo.url("/media-limits"), json={"file_max_bytes": MB}, timeout=5).raise_for_status()
        result, inbox = send(zalo, "ket-qua.pdf", 2 * MB)
        assert [m["type"] for m in inbox] == ["text", "text"]
        assert inbox[1]["text"] == f"Tệp «ket-qua.pdf» (2,0 MB) quá lớn để gửi qua Zalo ({ACCEPTED}). {HOW}"
        assert result.note == "attachment_linked:ket-qua.pdf: Zalo từ chối tệp (mã -210)"

    def test_without_a_link_the_file_is_left_out_and_the_text_still_goes(self, zalo: ZaloWorld) -> None:
        # A row queued before links existed: the text arrives, the file is recorded as refused.
        result, inbox = send(zalo, "ket-qua.pdf", int(5.1 * MB), url="")
        assert [(m["type"], m["text"]) for m in inbox] == [("text", TEXT)]
        assert result.note == ("attachment_refused:-210:ket-qua.pdf: tệp 5,1 MB, lớn hơn giới hạn 5 MB của Zalo")

    def test_an_uncertain_retry_does_not_send_the_link_twice(self, zalo: ZaloWorld) -> None:
        # The first attempt delivered the text and the link, then its worker died before recording it.
        user = zalo.user()
        send(zalo, "ket-qua.pdf", int(5.1 * MB), user=user)
        _result, inbox = send(zalo, "ket-qua.pdf", int(5.1 * MB), user=user, uncertain=True)
        assert [m["type"] for m in inbox] == ["text", "text"], inbox
