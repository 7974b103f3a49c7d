"""A karaoke dossier walked from intake to returned result entirely through HTTP, each step by the right
role; and the refusal paths (wrong role, other department, bad form, double completion, bad token)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from workflows.core.clock import ManualClock

Login = Callable[[str], dict[str, str]]

APPLICANT = {"full_name": "Nguyễn Thị Hồng Nhung", "id_number": "008190012345", "phone": "0912345678",
             "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang"}


def intake(client: TestClient, login: Login, *, procedure: str = "VHTTDL-KARAOKE", **extra: Any) -> dict[str, Any]:
    body = {"procedure_code": procedure, "channel": "counter", "applicant": APPLICANT, "notify_zalo": True, **extra}
    response = client.post("/api/v1/dossiers", json=body, headers=login("mot_cua"))
    assert response.status_code == 201, response.text
    return response.json()


def task_for(client: TestClient, login: Login, user: str, code: str, scope: str = "all") -> dict[str, Any]:
    response = client.get("/api/v1/tasks", params={"scope": scope}, headers=login(user))
    assert response.status_code == 200, response.text
    items = [t for t in response.json()["items"] if t["dossier_code"] == code]
    assert len(items) == 1, (user, response.json())
    return items[0]


def complete(client: TestClient, login: Login, user: str, code: str, data: dict[str, Any]) -> dict[str, Any]:
    task = task_for(client, login, user, code)
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=login(user))
    assert response.status_code == 200, response.text
    return response.json()


class TestKaraokeWalk:
    def test_intake_to_returned_result(self, app_client: TestClient, login: Login, clock: ManualClock) -> None:
        created = intake(app_client, login)
        code = created["code"]
        assert code.startswith("H60.22-261124-")
        assert created["national_status"] == 1
        assert created["applicant"]["phone"] == "0912***678"
        assert created["applicant"]["id_number"] == "0081****2345"

        steps = [
            ("mot_cua", {"quyet_dinh": "tiep_nhan"}, 4),  # accepted (2), then straight to the division
            ("lanh_dao_phong", {"case_officer": "chuyen_vien"}, 4),
            ("chuyen_vien", {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"}, 4),
            ("chuyen_vien", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện cấp phép"}, 4),
            ("lanh_dao_phong", {"quyet_dinh": "trinh_ky", "y_kien": "Đồng ý trình ký"}, 4),
            ("lanh_dao_so", {"quyet_dinh": "ky", "y_kien": "Đồng ý"}, 4),
            ("van_thu", {"so_van_ban": "125/GP-SVHTTDL", "ngay_ban_hanh": "2026-11-27"}, 9),
            ("mot_cua", {"hinh_thuc_tra": "truc_tiep"}, 10),
        ]
        for user, data, national in steps:
            clock.advance(timedelta(hours=2))
            result = complete(app_client, login, user, code, data)
            assert result["national_status"] == national, (user, result)

        detail = app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua")).json()
        assert detail["status"] == "DA_TRA_KET_QUA"
        # Accepted Tue 24/11/2026 11:00 (+07): 5 working days, first day not counted → Tue 1/12 17:00.
        assert detail["accepted_at"].startswith("2026-11-24T11:00")
        assert detail["due_at"] == "2026-12-01T17:00:00+07:00"
        assert detail["lateness"] in ("truoc_han", "dung_han")
        assert detail["current_steps"] == []
        history = app_client.get(f"/api/v1/dossiers/{code}/history", headers=login("mot_cua")).json()["items"]
        assert [h["step"] for h in history][:3] == ["nop_ho_so", "tiep_nhan", "phan_cong"]
        assert history[-1]["step"] == "tra_ket_qua"
        assert all(h["on_time"] in (True, None) for h in history)
        documents = app_client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
        assert "MAU_01" in {d["form_code"] for d in documents}


class TestRefusals:
    def test_wrong_role_other_department_bad_form_double_completion(
        self, app_client: TestClient, login: Login
    ) -> None:
        code = intake(app_client, login)["code"]
        reception = task_for(app_client, login, "mot_cua", code)
        url = f"/api/v1/tasks/{reception['id']}/complete"

        wrong_role = app_client.post(url, json={"data": {"quyet_dinh": "tiep_nhan"}}, headers=login("chuyen_vien"))
        assert wrong_role.status_code == 403
        assert wrong_role.json()["code"] == "role_not_allowed"

        other_department = app_client.post(url, json={"data": {"quyet_dinh": "tiep_nhan"}},
                                           headers=login("mot_cua_dl"))
        assert other_department.status_code == 404
        assert app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua_dl")).status_code == 404

        bad_form = app_client.post(url, json={"data": {"quyet_dinh": "co_le"}}, headers=login("mot_cua"))
        assert bad_form.status_code == 422
        assert bad_form.headers["content-type"].startswith("application/problem+json")
        assert bad_form.json()["errors"]

        first = app_client.post(url, json={"data": {"quyet_dinh": "tiep_nhan"}}, headers=login("mot_cua"))
        assert first.status_code == 200
        again = app_client.post(url, json={"data": {"quyet_dinh": "tiep_nhan"}}, headers=login("mot_cua"))
        assert again.status_code == 409

    def test_bad_token(self, app_client: TestClient) -> None:
        response = app_client.get("/api/v1/tasks", headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401
        assert response.json()["code"]
