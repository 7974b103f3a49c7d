"""Small HTTP helpers shared by the dossier path tests (imported by module name; conftest adds nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Login = Callable[[str], dict[str, str]]

APPLICANT = {"full_name": "Nguyễn Thị Hồng Nhung", "id_number": "008190012345", "phone": "0912345678",
             "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang"}

# Who does each step in the demo department.
ROLE_USER = {"MOT_CUA": "mot_cua", "LANH_DAO_PHONG": "lanh_dao_phong", "CHUYEN_VIEN": "chuyen_vien",
             "LANH_DAO_SO": "lanh_dao_so", "VAN_THU": "van_thu"}
# The handling division's own officials when the procedure's competence sends the dossier to the tourism
# division (issue 20): "chuyen_vien" named as case officer means that division's demo case officer.
TOURISM = "Phòng Quản lý Du lịch"
DIVISION_USER = {(TOURISM, "LANH_DAO_PHONG"): "lanh_dao_phong_dl", (TOURISM, "CHUYEN_VIEN"): "chuyen_vien_dl",
                 (TOURISM, "case_officer"): "chuyen_vien_dl"}


def intake(client: TestClient, login: Login, *, procedure: str = "VHTTDL-KARAOKE", **extra: Any) -> dict[str, Any]:
    body = {"procedure_code": procedure, "channel": "counter", "applicant": APPLICANT, "notify_zalo": True, **extra}
    response = client.post("/api/v1/dossiers", json=body, headers=login("mot_cua"))
    assert response.status_code == 201, response.text
    return response.json()


def dossier(client: TestClient, login: Login, code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua"))
    assert response.status_code == 200, response.text
    return response.json()


def current_step(client: TestClient, login: Login, code: str) -> dict[str, Any]:
    detail = dossier(client, login, code)
    steps = detail["current_steps"]
    assert len(steps) == 1, (code, detail["status"], detail["incident"], steps)
    return steps[0]


def step_user(detail: dict[str, Any], current: dict[str, Any]) -> str:
    """The demo official who does `current` (a step of the dossier `detail`): its assignee, else the lane's
    role holder in the dossier's handling division."""
    return str(current["assignee"] or DIVISION_USER.get((detail["department"], current["role"]),
                                                        ROLE_USER[current["role"]]))


def do(client: TestClient, login: Login, code: str, step: str, data: dict[str, Any],
       expect: int = 200) -> dict[str, Any]:
    """Complete the dossier's current step, asserting which step it is; the right role's demo user acts."""
    detail = dossier(client, login, code)
    assert len(detail["current_steps"]) == 1, (code, detail["status"], detail["incident"], detail["current_steps"])
    current = detail["current_steps"][0]
    assert current["step"] == step, current
    division = detail["department"]
    user = step_user(detail, current)
    if data.get("case_officer") == "chuyen_vien":
        data = {**data, "case_officer": DIVISION_USER.get((division, "case_officer"), "chuyen_vien")}
    response = client.post(f"/api/v1/tasks/{current['task_id']}/complete", json={"data": data}, headers=login(user))
    assert response.status_code == expect, response.text
    return response.json()


def history_steps(client: TestClient, login: Login, code: str) -> list[str]:
    response = client.get(f"/api/v1/dossiers/{code}/history", headers=login("mot_cua"))
    assert response.status_code == 200, response.text
    return [item["step"] for item in response.json()["items"]]


def forms_of(client: TestClient, login: Login, code: str) -> list[str]:
    items = client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
    return [d["form_code"] for d in items if d["form_code"]]


ACCEPT = {"quyet_dinh": "tiep_nhan"}
ASSIGN = {"case_officer": "chuyen_vien"}
INSPECT = {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Cơ sở đạt yêu cầu"}
APPRAISE_OK = {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"}
REVIEW_OK = {"quyet_dinh": "trinh_ky", "y_kien": "Trình ký"}
SIGN = {"quyet_dinh": "ky", "y_kien": "Đồng ý"}
ISSUE = {"so_van_ban": "125/GP-SVHTTDL", "ngay_ban_hanh": "2026-11-27"}
RETURN = {"hinh_thuc_tra": "truc_tiep"}
