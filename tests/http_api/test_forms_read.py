"""The forms Mẫu 01–07 as a citizen or an official reads them, from real dossier runs over HTTP: the PDF's
text (pypdf) names every official by full name and title, never by login; each form carries the signing
block TT 03/2025 prescribes; Mẫu 01 has its register number, its fees with their conditions and the return
channel as a sentence."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from flows import ACCEPT, APPRAISE_OK, ASSIGN, INSPECT, ISSUE, RETURN, REVIEW_OK, SIGN, Login, do, intake

from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.identity.seed import DEMO_OFFICIALS

# Backend-independent (the HTTP contract, no query of its own): on PostgreSQL, the production database, only.
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
pytestmark = ON_POSTGRESQL

LOGINS = [row[0] for row in DEMO_OFFICIALS]
CLERK = "Nguyễn Thị Thu Hà"
CLERK_POSITION = "Chuyên viên Bộ phận Một cửa tại Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang"
OFFICER = "Lê Thị Hương"
OFFICER_POSITION = "Chuyên viên Phòng Quản lý Văn hóa và Gia đình"
LEADER_BLOCK = "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC (Ký, ghi rõ họ tên và đóng dấu) Phạm Quốc Hùng"
UNIT_PHONE = "0207 3822 356"
AGENCY = "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with the forms signed as they are issued (production's default)."""
    return settings.model_copy(update={"signing": settings.signing.model_copy(update={"forms": True})})


ANY_TIME = r"\d\d:\d\d:\d\d ngày \d\d/\d\d/\d{4}"


def signed_block(heading: str, name: str, position: str, *, at: str = ANY_TIME) -> re.Pattern[str]:
    """An official's signing block with the digital signature the official put in it as they issued the
    form: the stamp (who, title, agency, when in Vietnam time) between the hint and the name."""
    return re.compile(re.escape(f"{heading} (Ký và ghi rõ họ tên) Ký bởi: {name} Chức vụ: Chuyên viên Cơ quan: "
                                f"{AGENCY} Thời gian ký: ") + at + re.escape(f" {name} {position}"))


def pdf_text(content: bytes) -> str:
    """The text a reader sees, whitespace runs (line wraps) collapsed to one space."""
    raw = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return " ".join(raw.split())


def form(client: TestClient, login: Login, code: str, form_code: str) -> tuple[dict[str, Any], str]:
    """The latest issued `form_code` of the dossier and its text."""
    items = client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
    document = [d for d in items if d["form_code"] == form_code][-1]
    response = client.get(f"/api/v1/dossiers/{code}/documents/{document['id']}", headers=login("mot_cua"))
    assert response.status_code == 200, response.text
    return document, pdf_text(response.content)


def assert_no_login(text: str) -> None:
    assert [name for name in LOGINS if name in text] == []
    assert "Lãnh đạo Sở, Phòng" not in text


def test_receipt_numbers_fees_channel_and_signer(app_client: TestClient, login: Login) -> None:
    first = intake(app_client, login, accept=True)["code"]
    second = intake(app_client, login, accept=True, result_delivery="buu_chinh")["code"]

    document, text = form(app_client, login, first, "MAU_01")
    assert_no_login(text)
    assert document["number"] == "1/TNHS" and "Số: 1/TNHS" in text and "…/…" not in text
    assert "Vào Sổ theo dõi hồ sơ, Quyển số: 2026, Số thứ tự: 1" in text
    assert ("6. Đăng ký nhận kết quả: Ông/Bà/Tổ chức nhận kết quả trực tiếp tại Bộ phận Một cửa nơi đã nộp "
            "hồ sơ.") in text
    assert ("7. Phí, lệ phí: Phí thẩm định cấp giấy phép kinh doanh dịch vụ karaoke, theo điều kiện sau: "
            "- Tại thành phố, thị xã: từ 01 đến 03 phòng: 4.000.000 đồng "
            "- Tại thành phố, thị xã: từ 04 đến 05 phòng: 6.000.000 đồng "
            "- Tại thành phố, thị xã: từ 06 phòng trở lên: 12.000.000 đồng "
            "- Tại khu vực khác: từ 01 đến 03 phòng: 2.000.000 đồng "
            "- Tại khu vực khác: từ 04 đến 05 phòng: 3.000.000 đồng "
            "- Tại khu vực khác: từ 06 phòng trở lên: 6.000.000 đồng Vào Sổ") in text
    assert text.count("Phí thẩm định cấp giấy phép kinh doanh dịch vụ karaoke") == 1
    assert signed_block("NGƯỜI TIẾP NHẬN HỒ SƠ", CLERK, CLERK_POSITION, at=re.escape("09:00:00 ngày 24/11/2026")) \
        .search(text), text

    document, text = form(app_client, login, second, "MAU_01")
    assert document["number"] == "2/TNHS" and "Số: 2/TNHS" in text and "Số thứ tự: 2" in text
    assert ("Ông/Bà/Tổ chức nhận kết quả qua dịch vụ bưu chính công ích, gửi đến địa chỉ đã đăng ký."
            in text)


def test_receipt_prints_the_fee_of_the_declared_rooms_and_area(app_client: TestClient, login: Login) -> None:
    facts = {"dia_ban": "thanh_pho_thi_xa", "so_phong": 5}
    code = intake(app_client, login, accept=True, facts=facts)["code"]
    _, text = form(app_client, login, code, "MAU_01")
    assert ("7. Phí, lệ phí: Phí thẩm định cấp giấy phép kinh doanh dịch vụ karaoke: 6.000.000 đồng (Tại "
            "thành phố, thị xã: từ 04 đến 05 phòng), theo thông tin kê khai: Địa bàn kinh doanh: Thành phố, "
            "thị xã; Số phòng hát: 5.") in text
    assert "4.000.000" not in text and "12.000.000" not in text and "theo điều kiện sau" not in text


def test_bad_declared_facts_are_refused_in_vietnamese_naming_the_field(app_client: TestClient,
                                                                         login: Login) -> None:
    before = app_client.get("/api/v1/dossiers", headers=login("mot_cua")).json()["total"]
    response = app_client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": "VHTTDL-KARAOKE", "applicant": {"full_name": "Trần Văn Bình"},
        "facts": {"so_phong": 0, "dia_ban": "ha_noi", "dien_tich": 40}})
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["detail"] == "Thông tin kê khai để tính phí, lệ phí không hợp lệ."
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "facts.so_phong": "Số phòng hát phải là số nguyên từ 1 trở lên.",
        "facts.dia_ban": "Địa bàn kinh doanh phải là một trong: “thanh_pho_thi_xa” (Thành phố, thị xã), "
                         "“khu_vuc_khac” (Khu vực khác).",
        "facts.dien_tich": "Thủ tục này không có thông tin kê khai “dien_tich” (có: “dia_ban” (Địa bàn kinh "
                           "doanh), “so_phong” (Số phòng hát)).",
    }
    assert app_client.get("/api/v1/dossiers", headers=login("mot_cua")).json()["total"] == before


def test_supplement_at_the_desk_names_the_clerk_and_the_unit_to_call(app_client: TestClient,
                                                                       login: Login) -> None:
    code = intake(app_client, login)["code"]
    do(app_client, login, code, "tiep_nhan", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu giấy tờ",
                                              "giay_to_thieu": ["Văn bản nghiệm thu PCCC"]})
    document, text = form(app_client, login, code, "MAU_02")
    assert_no_login(text)
    assert document["number"] == "1/HDHS" and "Số: 1/HDHS" in text
    assert (f"liên hệ {CLERK}, {CLERK_POSITION}, hoặc Phòng Quản lý Văn hóa và Gia đình, số điện thoại "
            f"{UNIT_PHONE} để được hướng dẫn.") in text
    assert signed_block("NGƯỜI HƯỚNG DẪN", CLERK, CLERK_POSITION).search(text), text


def test_refusal_at_the_desk_is_signed_by_the_receiving_clerk(app_client: TestClient, login: Login) -> None:
    code = intake(app_client, login)["code"]
    do(app_client, login, code, "tiep_nhan", {"quyet_dinh": "tu_choi", "ly_do": "Không thuộc thẩm quyền"})
    document, text = form(app_client, login, code, "MAU_03")
    assert_no_login(text)
    assert document["number"] == "1/TCHS"
    assert signed_block("NGƯỜI TIẾP NHẬN HỒ SƠ", CLERK, CLERK_POSITION).search(text), text


def test_appraisal_supplement_and_refusal_name_the_officer_and_the_leader(app_client: TestClient,
                                                                          login: Login) -> None:
    code = intake(app_client, login)["code"]
    do(app_client, login, code, "tiep_nhan", ACCEPT)
    do(app_client, login, code, "phan_cong", ASSIGN)
    do(app_client, login, code, "kiem_tra_thuc_te", INSPECT)
    do(app_client, login, code, "tham_dinh", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu bản vẽ",
                                              "noi_dung_bo_sung": "Bản vẽ mặt bằng phòng hát"})
    _, text = form(app_client, login, code, "MAU_02")
    assert_no_login(text)
    assert signed_block("NGƯỜI HƯỚNG DẪN", OFFICER, OFFICER_POSITION).search(text), text
    assert f"liên hệ {OFFICER}, {OFFICER_POSITION}, số điện thoại {UNIT_PHONE} để được hướng dẫn." in text

    do(app_client, login, code, "nhan_bo_sung", {"da_bo_sung": True})
    do(app_client, login, code, "tham_dinh", {"quyet_dinh": "tu_choi", "ly_do": "Phòng hát không đủ 20 m²"})
    document, text = form(app_client, login, code, "MAU_03")
    assert_no_login(text)
    assert document["number"] == "1/TCHS"
    assert LEADER_BLOCK in text and "Ký bởi" not in text  # the leader signs it, not the officer who issued it
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" not in text and OFFICER not in text


def test_letters_are_signed_by_the_leader_and_the_control_slip_names_people(
    app_client: TestClient, login: Login, clock: ManualClock,
) -> None:
    code = intake(app_client, login, accept=True)["code"]
    due = app_client.get(f"/api/v1/dossiers/{code}", headers=login("chuyen_vien")).json()["due_at"]
    apology = app_client.post(f"/api/v1/dossiers/{code}/apology", headers=login("chuyen_vien"), json={
        "reason": "Cần xin ý kiến Công an tỉnh", "new_due_at": due[:10] + "T16:00:00+07:00"})
    if apology.status_code == 422:  # the appointment is already at or after 16:00 that day
        apology = app_client.post(f"/api/v1/dossiers/{code}/apology", headers=login("chuyen_vien"), json={
            "reason": "Cần xin ý kiến Công an tỉnh", "new_due_at": due[:10] + "T23:00:00+07:00"})
    assert apology.status_code == 200, apology.text
    document, text = form(app_client, login, code, "MAU_04")
    assert_no_login(text)
    assert document["number"] == "1/XLHS" and LEADER_BLOCK in text
    assert "Ký bởi" not in text  # issued by the officer: nobody signs in the leader's name

    for step, data in (("phan_cong", ASSIGN), ("kiem_tra_thuc_te", INSPECT), ("tham_dinh", APPRAISE_OK),
                       ("xem_xet", REVIEW_OK), ("ky_duyet", SIGN)):
        clock.advance(timedelta(minutes=30))
        do(app_client, login, code, step, data)
    slip = app_client.post(f"/api/v1/dossiers/{code}/control-slip", headers=login("mot_cua"))
    assert slip.status_code == 201, slip.text
    assert slip.json()["number"] is None
    _, text = form(app_client, login, code, "MAU_06")
    assert_no_login(text)
    assert "Giao: Phạm Quốc Hùng, Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch" in text
    assert "Giao: Trần Văn Minh, Trưởng phòng Quản lý Văn hóa và Gia đình" in text
    do(app_client, login, code, "phat_hanh", ISSUE)
    do(app_client, login, code, "tra_ket_qua", RETURN)

    stopped = intake(app_client, login, accept=True)["code"]
    response = app_client.post(f"/api/v1/dossiers/{stopped}/withdraw", json={"reason": "Công dân có đơn rút"},
                               headers=login("mot_cua"))
    assert response.status_code == 200, response.text
    document, text = form(app_client, login, stopped, "MAU_05")
    assert_no_login(text)
    assert document["number"] == "1/DGQHS" and LEADER_BLOCK in text
    assert "Phí, lệ phí đã nộp (nếu có) được xử lý theo quy định của pháp luật về phí và lệ phí." in text
    assert "Hồ sơ đã được giải quyết đến bước: Tiếp nhận hồ sơ (hoàn thành lúc " in text

    register = app_client.get("/api/v1/registers/mau-07", params={"from": "2026-11-01", "to": "2026-12-31"},
                              headers=login("giam_sat"))
    assert register.status_code == 200, register.text
    assert_no_login(pdf_text(register.content))
