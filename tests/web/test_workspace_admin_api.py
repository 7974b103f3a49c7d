"""The API behind the supervisors' and administrators' pages of the workspace (issue 21 item 5), on both
databases: the overdue list (earliest appointment first, each step's holder by full name and title), and
the officials' roster (login held back after failed attempts, roles replaced, enabled again, departments)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock
from workflows.deadlines.service import Lateness

Login = Callable[[str], dict[str, str]]
HUONG = "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"


def intake(client: TestClient, login: Login, name: str) -> str:
    response = client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "accept": True,
        "applicant": {"full_name": name, "phone": "0912345678"}})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def assign(client: TestClient, login: Login, code: str) -> None:
    headers = login("lanh_dao_phong")
    tasks = client.get("/api/v1/tasks", params={"scope": "all"}, headers=headers).json()["items"]
    task = next(t for t in tasks if t["dossier_code"] == code)
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers,
                       json={"data": {"case_officer": "chuyen_vien"}})
    assert done.status_code == 200, done.text


class TestOverdueList:
    def test_earliest_appointment_first_with_each_holder_by_name(
        self, app_client: TestClient, login: Login, clock: ManualClock,
    ) -> None:
        first = intake(app_client, login, "Nguyễn Văn An")
        clock.advance(timedelta(days=1))
        second = intake(app_client, login, "Trần Thị Bình")
        assign(app_client, login, first)
        params = {"overdue": "true", "sort": "due_at"}
        assert app_client.get("/api/v1/dossiers", params=params, headers=login("giam_sat_tinh")).json()["total"] == 0
        clock.advance(timedelta(days=60))

        for supervisor in ("giam_sat_tinh", "lanh_dao_so", "giam_sat"):
            page = app_client.get("/api/v1/dossiers", params=params, headers=login(supervisor))
            assert page.status_code == 200, page.text
            assert [d["code"] for d in page.json()["items"]] == [first, second], supervisor
        items = page.json()["items"]
        assert [d["lateness"] for d in items] == [Lateness.QUA_HAN.value] * 2
        [held] = items[0]["current_steps"]
        assert (held["assignee"], held["assignee_label"]) == ("chuyen_vien", HUONG)
        [waiting] = items[1]["current_steps"]
        assert (waiting["role"], waiting["assignee"], waiting["assignee_label"]) == ("LANH_DAO_PHONG", None, None)
        newest = app_client.get("/api/v1/dossiers", params={"overdue": "true"}, headers=login("giam_sat_tinh"))
        assert [d["code"] for d in newest.json()["items"]] == [second, first]  # the default order is unchanged
        bad = app_client.get("/api/v1/dossiers", params={"sort": "ten"}, headers=login("giam_sat"))
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "sort"
        assert bad.json()["errors"][0]["message"].startswith("Thứ tự sắp xếp: ")


class TestOfficialsRoster:
    def test_a_held_back_login_is_shown_until_unlocked(self, app_client: TestClient, login: Login) -> None:
        admin = login("quan_tri")
        for _ in range(6):  # five free failures, the sixth makes the next attempt wait
            app_client.post("/api/v1/auth/token", data={"username": "van_thu", "password": "sai-mat-khau"})
        listed = app_client.get("/api/v1/officials", params={"page_size": 100}, headers=admin).json()["items"]
        by_name = {o["username"]: o for o in listed}
        assert by_name["van_thu"]["login_blocked_until"] is not None
        assert by_name["van_thu"]["login_blocked_until"].endswith("+07:00")
        assert by_name["chuyen_vien"]["login_blocked_until"] is None
        assert (by_name["van_thu"]["full_name"], by_name["van_thu"]["position"]) == (
            "Hoàng Thị Lan", "Văn thư Văn phòng Sở Văn hóa, Thể thao và Du lịch")
        unlocked = app_client.post("/api/v1/admin/officials/van_thu/unlock", headers=admin)
        assert unlocked.json() == {"username": "van_thu", "was_locked": True}
        listed = app_client.get("/api/v1/officials", params={"page_size": 100}, headers=admin).json()["items"]
        assert next(o for o in listed if o["username"] == "van_thu")["login_blocked_until"] is None

    def test_roles_are_replaced_and_hold_at_once(self, app_client: TestClient, login: Login) -> None:
        admin, own = login("quan_tri"), login("chuyen_vien_2")
        assert app_client.get("/api/v1/incidents", headers=own).status_code == 403
        changed = app_client.put("/api/v1/officials/chuyen_vien_2/roles", headers=admin,
                                 json={"roles": ["CHUYEN_VIEN", "QUAN_TRI"]})
        assert changed.status_code == 200, changed.text
        assert changed.json()["roles"] == ["CHUYEN_VIEN", "QUAN_TRI"]
        assert app_client.get("/api/v1/me", headers=own).json()["roles"] == ["CHUYEN_VIEN", "QUAN_TRI"]
        assert app_client.get("/api/v1/incidents", headers=own).status_code == 200  # the same token
        back = app_client.put("/api/v1/officials/chuyen_vien_2/roles", headers=admin, json={"roles": ["CHUYEN_VIEN"]})
        assert back.status_code == 200 and app_client.get("/api/v1/incidents", headers=own).status_code == 403

        unknown = app_client.put("/api/v1/officials/chuyen_vien_2/roles", headers=admin, json={"roles": ["VUA"]})
        empty = app_client.put("/api/v1/officials/chuyen_vien_2/roles", headers=admin, json={"roles": []})
        nobody = app_client.put("/api/v1/officials/khong_co/roles", headers=admin, json={"roles": ["VAN_THU"]})
        last = app_client.put("/api/v1/officials/quan_tri/roles", headers=admin, json={"roles": ["GIAM_SAT"]})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "roles.0"
        assert unknown.json()["errors"][0]["message"].startswith("Vai trò (mục 1): giá trị không hợp lệ")
        assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "roles"
        assert (nobody.status_code, nobody.json()["code"]) == (404, "official_not_found")
        assert (last.status_code, last.json()["code"], last.json()["detail"]) == (
            409, "last_administrator", "Đỗ Mạnh Cường là quản trị hệ thống duy nhất đang hoạt động; không thể "
                                       "bỏ vai trò Quản trị hệ thống.")
        assert app_client.get("/api/v1/me", headers=admin).json()["roles"] == ["QUAN_TRI"]
        with Session(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
            audited = [(e.actor, e.data["before"], e.data["after"]) for e in session.exec(
                select(AuditEntry).where(AuditEntry.action == "official.roles_changed").order_by(col(AuditEntry.id)))]
        assert audited == [("quan_tri", ["CHUYEN_VIEN"], ["CHUYEN_VIEN", "QUAN_TRI"]),
                           ("quan_tri", ["CHUYEN_VIEN", "QUAN_TRI"], ["CHUYEN_VIEN"])]  # refusals change nothing

    def test_the_last_administrator_cannot_be_disabled(self, app_client: TestClient, login: Login) -> None:
        admin = login("quan_tri")
        refused = app_client.post("/api/v1/officials/quan_tri/disable", headers=admin)
        assert (refused.status_code, refused.json()["code"], refused.json()["detail"]) == (
            409, "last_administrator", "Đỗ Mạnh Cường là quản trị hệ thống duy nhất đang hoạt động; không thể vô "
                                       "hiệu hóa tài khoản này.")
        assert app_client.get("/api/v1/me", headers=admin).status_code == 200  # still signed in
        # With a second administrator, either may be disabled.
        assert app_client.put("/api/v1/officials/chuyen_vien_2/roles", headers=admin,
                              json={"roles": ["CHUYEN_VIEN", "QUAN_TRI"]}).status_code == 200
        disabled = app_client.post("/api/v1/officials/chuyen_vien_2/disable", headers=admin)
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        again = app_client.post("/api/v1/officials/quan_tri/disable", headers=admin)
        assert (again.status_code, again.json()["code"]) == (409, "last_administrator")

    def test_a_disabled_official_is_enabled_again(self, app_client: TestClient, login: Login) -> None:
        admin = login("quan_tri")
        assert app_client.post("/api/v1/officials/chuyen_vien_2/disable", headers=admin).json()["disabled"] is True
        refused = app_client.post("/api/v1/auth/token", data={"username": "chuyen_vien_2", "password": "motcua-demo"})
        assert refused.json()["code"] == "account_disabled"
        enabled = app_client.post("/api/v1/officials/chuyen_vien_2/enable", headers=admin)
        assert enabled.status_code == 200 and enabled.json()["disabled"] is False
        again = app_client.post("/api/v1/auth/token", data={"username": "chuyen_vien_2", "password": "motcua-demo"})
        assert again.status_code == 200, again.text

    def test_departments_with_their_agency(self, app_client: TestClient, login: Login) -> None:
        response = app_client.get("/api/v1/admin/departments", headers=login("quan_tri"))
        assert response.status_code == 200, response.text
        by_code = {d["code"]: d for d in response.json()}
        assert by_code["PHONG_QLVH"]["name"] == "Phòng Quản lý Văn hóa và Gia đình"
        assert by_code["PHONG_QLVH"]["agency_name"].startswith("Sở Văn hóa, Thể thao và Du lịch")
        assert app_client.get("/api/v1/admin/departments", headers=login("giam_sat")).status_code == 403
