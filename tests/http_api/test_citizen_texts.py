"""Issue 16 items 1 and 2, read as the citizen reads them: a karaoke dossier walked over HTTP through a
supplement at the desk, a supplement at appraisal and a refusal at appraisal; the citizen's Zalo inbox (the
emulator) holds, for each round, that round's own items as Vietnamese lines, and each Mẫu 02 received as a
file lists the same items (its text extracted from the PDF)."""

from __future__ import annotations

import io
from typing import Any

import requests
from live import Citizen, live_server, wait_for
from test_zalo_e2e import Officials, follow_and_share

from workflows.core.clock import ManualClock
from workflows.core.config import Settings

PROCEDURE = "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke"
DESK_ITEMS = ["Văn bản nghiệm thu về phòng cháy và chữa cháy",
              "Bản sao Giấy chứng nhận đăng ký doanh nghiệp"]
APPRAISAL_ITEMS = "Bản vẽ mặt bằng phòng hát có ghi rõ diện tích từng phòng"


def complete(base: str, officials: Officials, code: str, step: str, data: dict[str, Any]) -> None:
    """Complete the dossier's current step (asserting which one it is) as the official who holds it."""
    headers = officials.headers("mot_cua")
    detail = requests.get(f"{base}/api/v1/dossiers/{code}", headers=headers, timeout=10).json()
    [current] = detail["current_steps"]
    assert current["step"] == step, current
    users = {"MOT_CUA": "mot_cua", "LANH_DAO_PHONG": "lanh_dao_phong", "CHUYEN_VIEN": "chuyen_vien"}
    user = current["assignee"] or users[current["role"]]
    response = requests.post(f"{base}/api/v1/tasks/{current['task_id']}/complete", json={"data": data},
                             headers=officials.headers(user), timeout=30)
    assert response.status_code == 200, response.text


def intake(base: str, officials: Officials) -> str:
    response = requests.post(f"{base}/api/v1/dossiers", headers=officials.headers("mot_cua"), timeout=30, json={
        "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True,
        "applicant": {"full_name": "Nguyễn Văn An", "phone": "0912345678"}})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def about(citizen: Citizen, code: str) -> list[dict[str, Any]]:
    return [m for m in citizen.inbox() if code in str(m.get("text") or "") + str(m.get("file") or {})]


def pdf_text(base: str, message: dict[str, Any]) -> str:
    from pypdf import PdfReader

    content = requests.get(base + message["file"]["download_path"], timeout=10).content
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


class TestTwoSupplementRoundsAndARefusal:
    def test_each_round_carries_its_own_items(self, settings: Settings, clock: ManualClock, db: Any) -> None:
        with live_server(settings, clock) as (base, _wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            officials = Officials(base)
            code = intake(base, officials)
            complete(base, officials, code, "tiep_nhan", {
                "quyet_dinh": "bo_sung", "ly_do": "Hồ sơ còn thiếu giấy tờ theo quy định.",
                "giay_to_thieu": DESK_ITEMS})
            complete(base, officials, code, "nhan_bo_sung", {"da_bo_sung": True})
            complete(base, officials, code, "tiep_nhan", {"quyet_dinh": "tiep_nhan"})
            complete(base, officials, code, "phan_cong", {"case_officer": "chuyen_vien"})
            complete(base, officials, code, "kiem_tra_thuc_te", {
                "ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"})
            complete(base, officials, code, "tham_dinh", {
                "quyet_dinh": "bo_sung", "ly_do": "Bản vẽ nộp kèm không thể hiện diện tích phòng hát",
                "noi_dung_bo_sung": APPRAISAL_ITEMS})
            complete(base, officials, code, "nhan_bo_sung", {"da_bo_sung": True})
            complete(base, officials, code, "tham_dinh", {
                "quyet_dinh": "tu_choi", "ly_do": "Diện tích phòng hát dưới 20 m² theo quy định."})

            welcome = citizen.inbox()[0]["text"]
            got = wait_for(lambda: (lambda m: m if len(m) >= 10 else None)(about(citizen, code)))
            texts = [m["text"] for m in got if m["type"] == "text"]
            files = [m for m in got if m["type"] == "file"]
            forms = [pdf_text(base, m) for m in files]

        assert texts == [
            f"Hồ sơ {code} – {PROCEDURE} cần bổ sung, hoàn thiện:\n"
            "- Văn bản nghiệm thu về phòng cháy và chữa cháy\n"
            "- Bản sao Giấy chứng nhận đăng ký doanh nghiệp\n"
            "Lý do: Hồ sơ còn thiếu giấy tờ theo quy định. "
            "Liên hệ Bộ phận Một cửa, Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang để được hướng dẫn.",
            f"Hồ sơ {code} – {PROCEDURE} đã được tiếp nhận lúc 09 giờ 00 ngày 24/11/2026. Thời hạn giải "
            "quyết 05 ngày làm việc; hẹn trả kết quả ngày 01/12/2026.",
            f"Hồ sơ {code} đang được thẩm định.",
            f"Hồ sơ {code} – {PROCEDURE} cần bổ sung, hoàn thiện:\n"
            f"- {APPRAISAL_ITEMS}\n"
            "Lý do: Bản vẽ nộp kèm không thể hiện diện tích phòng hát. "
            "Liên hệ Phòng Quản lý Văn hóa và Gia đình để được hướng dẫn.",
            f"Hồ sơ {code} đang được thẩm định.",
            f"Hồ sơ {code} – {PROCEDURE} không đủ điều kiện giải quyết. "
            "Lý do: Diện tích phòng hát dưới 20 m² theo quy định.",
        ], "\n---\n".join(texts)
        assert all("[" not in text and "'" not in text for text in texts), "no Python list in a message"
        assert [m["file"]["filename"] for m in files] == [
            f"mau_02-{code}.pdf", f"mau_01-{code}.pdf", f"mau_02-{code}.pdf", f"mau_03-{code}.pdf"]
        assert welcome.startswith("Chào mừng ông/bà đến với Chính quyền số tỉnh Tuyên Quang. "), welcome
        desk, appraisal, refusal = forms[0], forms[2], forms[3]
        assert "Diện tích phòng hát dưới 20 m² theo quy định" in refusal, refusal
        assert all(item in desk for item in DESK_ITEMS), desk
        assert APPRAISAL_ITEMS in appraisal, appraisal
        assert all(item not in appraisal for item in DESK_ITEMS), "the desk's items leaked into appraisal"
        assert "Bản vẽ mặt bằng" not in desk
