"""What a citizen types to the OA, answered by `bot.answer_text` as the Zalo webhook calls it: lookup the
three ways (and the linked citizen's own list), the status by code + second factor (never a link), a
feedback round trip back to the same Zalo account, and the refusals (wrong or missing factors, floods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from connectors.outbox import OutboxMessage
from connectors.zalo.users import record_user
from tests.citizen.conftest import APPLICANT, Login, assert_nothing_personal
from tests.citizen.test_feedback_news import complete
from workflows.core.db import session_scope
from workflows.dossiers.models import Dossier
from workflows.feedback.models import FeedbackCase
from workflows.zalo import bot
from workflows.zalo.recipients import resolve_recipient

UID = "4512345678901234567"
Say = Callable[..., str]


@pytest.fixture
def say(app_client: TestClient) -> Say:
    wiring = app_client.app.state.wiring  # type: ignore[attr-defined]

    def send(text: str, uid: str = UID) -> str:
        with session_scope(wiring.db) as session:
            answer = bot.answer_text(
                session, services=wiring.domain, engine=wiring.engine, zalo_user_id=uid, text=text
            )
        assert len(answer) <= 2000
        assert_nothing_personal(answer)
        return answer

    return send


def dossier_row(client: TestClient, code: str) -> Dossier:
    with session_scope(client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
        return session.exec(select(Dossier).where(Dossier.code == code)).one()


class TestLookupFromZalo:
    def test_code_with_second_factor_shows_the_status_and_links_nothing(
        self, app_client: TestClient, say: Say, dossier: dict[str, Any]
    ) -> None:
        code = dossier["code"]
        assert "Chưa có hồ sơ nào" in say("Tra cứu")
        assert "4 chữ số cuối" in say(code)  # no factor: asks for it
        assert "Không tìm thấy hồ sơ" in say(f"{code} 0000")
        shown = say(f"{code.lower()} 5678")
        assert "Đang xử lý" in shown and "Nguyễn T** H*** N****" in shown and "Đã liên kết" not in shown
        assert shown.endswith(bot.HOW_TO_LINK), shown
        assert dossier_row(app_client, code).zalo_user_id is None  # a lookup never makes a recipient
        assert "4 chữ số cuối" in say(code) and "Chưa có hồ sơ nào" in say("tra cuu")

    def test_by_id_with_phone_digits_or_proven_phone(
        self, app_client: TestClient, say: Say, dossier: dict[str, Any]
    ) -> None:
        assert dossier["code"] in say("Tra cứu CCCD 008190012345 5678")
        assert "Không tìm thấy hồ sơ" in say("Tra cứu CCCD 008190012345 1111")
        # Without digits the account's proven phone is the second factor; this account proved none.
        assert "4 số cuối SĐT" in say("tra cứu cccd 008190012345")
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        with session_scope(wiring.db) as session:
            record_user(
                session,
                user_id=UID,
                now=wiring.clock.now(),
                followed=True,
                phone_hash=wiring.cipher.lookup_hash("phone", APPLICANT["phone"]),
            )
        assert dossier["code"] in say("tra cứu cccd 008190012345")
        assert dossier["code"] in say("Tra cứu")  # the proven phone also lists the citizen's own dossiers
        assert "Đang xử lý" in say(dossier["code"]) and bot.HOW_TO_LINK not in say(dossier["code"])

    def test_by_name(self, say: Say, dossier: dict[str, Any]) -> None:
        answer = say("Tra cứu tên Nguyễn Thị Hồng Nhung; VHTTDL-KARAOKE; 24/11/2026")
        assert dossier["code"][:-4] + "****" in answer and dossier["code"] not in answer
        assert "TRA CỨU TÊN" in say("tra cứu tên Nguyễn Thị Hồng Nhung")
        assert "Không có hồ sơ" in say("tra cứu tên Nguyễn Thị Hồng Nhung; VHTTDL-KARAOKE; 23/11/2026")

    def test_flood_is_refused(self, say: Say, dossier: dict[str, Any]) -> None:
        answers = [say(f"{dossier['code']} 000{i % 10}") for i in range(10)]
        assert all("Không tìm thấy" in a for a in answers)
        assert "quá nhiều yêu cầu" in say(f"{dossier['code']} 5678")
        # Another account is not limited per account, but the dossier's shared budget is spent: the right
        # digits are refused there too, unchecked.
        locked = say(f"{dossier['code']} 5678", uid="777")
        assert locked.startswith("Thông tin xác minh của mã hồ sơ này đã bị nhập sai quá nhiều lần"), locked
        assert "Đang xử lý" not in locked and "Nguyễn" not in locked


class TestFeedbackFromZalo:
    def test_round_trip_back_to_the_same_account(
        self, app_client: TestClient, login: Login, say: Say, dossier: dict[str, Any]
    ) -> None:
        assert "PHẢN ÁNH <nội dung" in say("phản ánh")
        answer = say(f"Phản ánh: hồ sơ {dossier['code']} chưa được trả kết quả đúng hẹn")
        assert "Đã nhận phản ánh, kiến nghị PAKN-261124-" in answer
        code = answer.split("kiến nghị ")[1].split(".")[0]
        complete(app_client, login, "mot_cua", code, {"phan_loai": "ho_so"})
        complete(app_client, login, "lanh_dao_phong", code, {"chuyen_vien": "chuyen_vien"})
        complete(
            app_client,
            login,
            "chuyen_vien",
            code,
            {"tra_loi": "Sở đã kiểm tra và sẽ trả kết quả trong hôm nay."},
        )
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        with session_scope(wiring.db) as session:
            case = session.exec(select(FeedbackCase).where(FeedbackCase.code == code)).one()
            assert (
                case.channel == "zalo"
                and case.dossier_code == dossier["code"]
                and case.status == "DA_TRA_LOI"
            )
            [message] = session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref == code)).all()
            recipient = resolve_recipient(session, ref=message.recipient_ref, cipher=wiring.cipher)
        assert recipient is not None and recipient.zalo_user_id == UID

    def test_services_news_and_help(self, app_client: TestClient, login: Login, say: Say) -> None:
        assert "Dịch vụ công" in say("dịch vụ công") and "VHTTDL-KARAOKE" in say("dich vu cong")
        detail = say("Dịch vụ công karaoke")
        assert "Thời hạn: 5 ngày làm việc" in detail and "Nơi nộp" in detail
        assert "Chưa có tin tức" in say("tin tức")
        app_client.post(
            "/api/v1/news",
            headers=login("quan_tri"),
            json={
                "kind": "guide",
                "title": "Video hướng dẫn tra cứu hồ sơ",
                "video_url": "https://video.example.vn/1",
                "published": True,
            },
        )
        assert "Video hướng dẫn tra cứu hồ sơ" in say("Tin tức")
        assert "TRA CỨU" in say("hướng dẫn") and "PHẢN ÁNH" in say("xin chào")
