"""Issue 19 part 2 through real HTTP: a citizen submits on DVCQG (the emulator, mounted in the same server,
pushes the dossier to `POST /api/v1/dvcqg/dossiers` with the adapter's development key); our dossier keeps
the national MaHoSo, is online at reception (national status 1) with its files and the VNeID flag, and the
citizen hears "Nộp hồ sơ" on Zalo. The clerk asks for a supplement, the citizen sends it on DVCQG, the
dossier is back at reception. The same push twice makes one dossier; bad pushes are refused in DVCQG's
form naming their fields, writing nothing; a push without the adapter's key is 401/403."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from live import Citizen, live_server, wait_for
from sqlmodel import Session, func, select

from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.dvcqg_config import DEV_DVCQG_PUSH_KEY
from workflows.dossiers.models import Dossier

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROCEDURE = "Cấp Giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao đối với môn Quần vợt"
KEY = {"X-API-Key": DEV_DVCQG_PUSH_KEY}


@pytest.fixture
def now_clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # 09:00 in Tuyên Quang


def headers(base: str, username: str) -> dict[str, str]:
    response = requests.post(f"{base}/api/v1/auth/token", data={"username": username, "password": "motcua-demo"},
                             timeout=10)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def complete(base: str, username: str, code: str, step: str, data: dict[str, Any]) -> None:
    h = headers(base, username)
    tasks = requests.get(f"{base}/api/v1/tasks", params={"scope": "all"}, headers=h, timeout=10).json()["items"]
    task = next(t for t in tasks if t["dossier_code"] == code and t["step"] == step)
    response = requests.post(f"{base}/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=h,
                             timeout=30)
    assert response.status_code == 200, response.text


def submit(base: str, **extra: Any) -> dict[str, Any]:
    body = {"procedure_code": "1.000501", "consent_zalo": True, "applicant": {
        "name": "Nguyễn Văn An", "id_number": "001089012345", "phone": "0912345678", "vneid": True,
        "tech_id": "TECH-0001", "address": "Phường Minh Xuân, tỉnh Tuyên Quang"},
        "files": [{"name": "don-de-nghi.pdf", "component_code": "TP1", "media_type": "application/pdf",
                   "content_base64": base64.b64encode(PDF).decode()}], **extra}
    response = requests.post(f"{base}/dvcqg-emulator/citizen-submissions", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def dossier_count(wiring: Any) -> int:
    with Session(wiring.db) as session:
        return int(session.exec(select(func.count()).select_from(Dossier)).one())


def follow_and_share(citizen: Citizen) -> None:
    citizen.act("follow")
    assert wait_for(lambda: len(citizen.inbox()) >= 2), citizen.inbox()
    assert "Đã xác thực số điện thoại" in citizen.share_and_prove()


class TestOnlineSubmission:
    def test_pushed_dossier_received_then_supplemented_online(
        self, settings: Settings, now_clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, now_clock) as (base, _wiring):
            citizen = Citizen(base, "84912345678")
            follow_and_share(citizen)
            pushed = submit(base)
            code = pushed["MaHoSo"]
            assert re.fullmatch(r"000\.00\.22\.H60-261124-\d{4}", code), code
            assert pushed["answer"]["error_code"] == "0", pushed
            assert pushed["answer"]["message"] == f"Tiếp nhận thành công hồ sơ {code}"

            clerk = headers(base, "mot_cua")
            got = requests.get(f"{base}/api/v1/dossiers/{code}", headers=clerk, timeout=10).json()
            assert (got["code"], got["channel"], got["national_status"], got["status"]) == (
                code, "online", 1, "MOI_DANG_KY"), got
            assert got["vneid_verified"] is True and got["submitted_on_dvcqg"] is True
            assert got["submitted_at"].startswith("2026-11-24T09:00"), got["submitted_at"]
            assert got["applicant"]["id_number"] != "001089012345", "masked"
            assert [s["step"] for s in got["current_steps"]] == ["tiep_nhan"]

            documents = requests.get(f"{base}/api/v1/dossiers/{code}/documents", headers=clerk,
                                     timeout=10).json()["items"]
            uploads = [d for d in documents if d["kind"] == "upload"]
            assert [d["filename"] for d in uploads] == ["don-de-nghi.pdf"]
            content = requests.get(f"{base}/api/v1/dossiers/{code}/documents/{uploads[0]['id']}", headers=clerk,
                                   timeout=10).content
            assert content == PDF

            expected = (f"Ông/bà Nguyễn Văn An đã nộp hồ sơ {code} – {PROCEDURE}. Hồ sơ đang chờ Bộ phận Một cửa "
                        "kiểm tra, tiếp nhận.")
            assert wait_for(lambda: [m for m in citizen.inbox() if m.get("text") == expected]), citizen.inbox()

            complete(base, "mot_cua", code, "tiep_nhan", {
                "quyet_dinh": "bo_sung", "ly_do": "Thiếu giấy tờ", "giay_to_thieu": ["Bản sao giấy phép"]})
            waiting = requests.get(f"{base}/api/v1/dossiers/{code}", headers=clerk, timeout=10).json()
            assert waiting["national_status"] == 5, waiting

            supplement = requests.post(f"{base}/dvcqg-emulator/citizen-submissions/{code}/supplements", timeout=60,
                                       json={"note": "Bổ sung bản sao giấy phép", "files": [{
                                           "name": "giay-phep.pdf", "media_type": "application/pdf",
                                           "content_base64": base64.b64encode(PDF + b"2").decode()}]}).json()
            assert supplement["answer"]["error_code"] == "0", supplement
            back = requests.get(f"{base}/api/v1/dossiers/{code}", headers=clerk, timeout=10).json()
            assert [s["step"] for s in back["current_steps"]] == ["tiep_nhan"], back
            history = requests.get(f"{base}/api/v1/dossiers/{code}/history", headers=clerk, timeout=10).json()
            assert any(h["step"] == "bo_sung_truc_tuyen" and h["actor"] == "Nguyễn Văn An"
                       for h in history["items"]), history

            again = requests.post(f"{base}/dvcqg-emulator/citizen-submissions/{code}/supplements", timeout=60,
                                  json={"files": [{"name": "x.pdf", "content_base64": base64.b64encode(PDF).decode()}]})
            answer = again.json()["answer"]
            assert answer["error_code"] == "-1"
            assert answer["message"] == f"Hồ sơ {code} không ở trạng thái chờ bổ sung nên không nhận hồ sơ bổ sung."

            complete(base, "mot_cua", code, "tiep_nhan", {"quyet_dinh": "tiep_nhan"})
            accepted = requests.get(f"{base}/api/v1/dossiers/{code}", headers=clerk, timeout=10).json()
            assert accepted["national_status"] == 4 or accepted["national_status"] == 2, accepted

            ledger = requests.get(f"{base}/dvcqg-emulator/ledger", timeout=10).json()["entries"]
            assert [e["outcome"] for e in ledger if e["endpoint"] == "push"] == ["ok", "ok", "refused"]

    def test_same_push_twice_makes_one_dossier_and_bad_pushes_write_nothing(
        self, settings: Settings, now_clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, now_clock) as (base, wiring):
            pushed = submit(base, inline=True, consent_zalo=False)
            assert pushed["answer"] == {"http_status": 200, "error_code": "0",
                                        "message": f"Tiếp nhận thành công hồ sơ {pushed['MaHoSo']}"}
            record = requests.get(f"{base}/dvcqg-emulator/ledger", timeout=10).json()["entries"][-1]["body"]
            assert "NoiDungTepTin" not in str(record), "the ledger keeps no file contents"
            assert dossier_count(wiring) == 1

            push = {"MaHoSo": "000.00.22.H60-261124-0900", "MaTTHC": "1.000501", "ChuHoSo": "Trần Thị Bình",
                    "LoaiDoiTuong": "1", "NgayNopHoSo": "20261124083000", "SoDienThoai": "0912345679",
                    "TaiLieuNop": [{"TenTepDinhKem": "don.pdf", "MaThanhPhanHoSo": "TP1",
                                    "NoiDungTepTin": base64.b64encode(PDF).decode()}]}
            url = f"{base}/api/v1/dvcqg/dossiers"
            first = requests.post(url, json=push, headers=KEY, timeout=30)
            assert first.status_code == 200 and first.json()["error_code"] == "0", first.text
            second = requests.post(url, json=push, headers=KEY, timeout=30)
            assert second.json() == {"error_code": "0", "message": "Hồ sơ 000.00.22.H60-261124-0900 đã được tiếp "
                                                                   "nhận trước đó (thành công)"}
            assert dossier_count(wiring) == 2
            changed = requests.post(url, json={**push, "ChuHoSo": "Người khác"}, headers=KEY, timeout=30).json()
            assert changed["error_code"] == "-1"
            assert changed["errors"] == [{"field": "MaHoSo", "message": "Mã hồ sơ (MaHoSo): 000.00.22.H60-261124-0900 "
                                                                       "đã tồn tại với nội dung khác."}]

            def refused(body: dict[str, Any]) -> dict[str, Any]:
                response = requests.post(url, json=body, headers=KEY, timeout=30)
                assert response.status_code == 200, response.text
                answer = dict(response.json())
                assert answer["error_code"] == "-1", answer
                return answer

            fresh = {**push, "MaHoSo": "000.00.22.H60-261124-0901"}
            missing = refused({k: v for k, v in fresh.items() if k != "MaHoSo"})
            assert missing["errors"] == [{"field": "MaHoSo", "message": "Mã hồ sơ (MaHoSo): bắt buộc."}]
            unknown = refused({**fresh, "MaTTHC": "9.999999"})
            assert unknown["errors"] == [{"field": "MaTTHC", "message": "Mã thủ tục hành chính (MaTTHC): không có "
                                                                      "thủ tục 9.999999 trong danh mục của cơ quan."}]
            bad_date = refused({**fresh, "NgayNopHoSo": "24/11/2026"})
            assert bad_date["errors"] == [{"field": "NgayNopHoSo", "message": "Ngày nộp hồ sơ (NgayNopHoSo): không "
                                                                             "đúng định dạng yyyyMMddHHmmss (giờ Việt "
                                                                             "Nam)."}]
            dead_link = f"{base}/dvcqg-emulator/files/khong-co"
            unfetchable = refused({**fresh, "TaiLieuNop": [{"TenTepDinhKem": "don.pdf",
                                                            "DuongDanTaiTepTin": dead_link}]})
            assert unfetchable["errors"] == [{
                "field": "TaiLieuNop[0].DuongDanTaiTepTin",
                "message": "Đường dẫn tệp (DuongDanTaiTepTin): không tải được tệp “don.pdf” (máy chủ trả lời HTTP "
                           "404)."}]
            assert dossier_count(wiring) == 2, "nothing written by a refused push"

    def test_a_push_needs_the_adapters_key(self, settings: Settings, now_clock: ManualClock, db: Any) -> None:
        with live_server(settings, now_clock) as (base, _wiring):
            url = f"{base}/api/v1/dvcqg/dossiers"
            assert requests.post(url, json={}, timeout=10).status_code == 401
            assert requests.post(url, json={}, headers={"X-API-Key": "mck_khong-hop-le"}, timeout=10).status_code == 401
            official = requests.post(url, json={}, headers=headers(base, "mot_cua"), timeout=10)
            assert official.status_code == 403
            admin = headers(base, "quan_tri")

            def new_key(scopes: list[str]) -> str:
                created = requests.post(f"{base}/api/v1/api-keys", headers=admin, timeout=10, json={
                    "name": "Bộ chuyển đổi DVCQG", "scopes": scopes, "department_code": "PHONG_QLVH"})
                assert created.status_code == 201, created.text
                return str(created.json()["secret"])

            other = requests.post(url, json={}, headers={"X-API-Key": new_key(["dossiers:write"])}, timeout=10)
            assert other.status_code == 403
            assert other.json()["detail"] == "Khóa API không có phạm vi quyền cần thiết: dvcqg.push."
            adapter = requests.post(url, json={}, headers={"X-API-Key": new_key(["dvcqg.push"])}, timeout=10)
            assert adapter.status_code == 200 and adapter.json()["error_code"] == "-1", adapter.text
