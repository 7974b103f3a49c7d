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


def do(client: TestClient, login: Login, code: str, step: str, data: dict[str, Any],
       expect: int = 200) -> dict[str, Any]:
    """Complete the dossier's current step, asserting which step it is; the right role's demo user acts."""
    current = current_step(client, login, code)
    assert current["step"] == step, current
    user = current["assignee"] or ROLE_USER[current["role"]]
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
