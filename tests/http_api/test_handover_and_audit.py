"""Issue 23 items 1 and 3 end to end over HTTP: a division head's reassignment and an official's delegation
seen by the receiving official (task list, notice, completing the task), their refusals; the supervisors'
audit trail for one dossier with filters; the citizen's request to know who processed their data."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from flows import ACCEPT, APPLICANT, ASSIGN, Login, current_step, do, intake

from workflows.core.clock import ManualClock, to_local
from workflows.core.config import Settings

HEAD = "Trần Văn Minh, Trưởng phòng Quản lý Văn hóa và Gia đình"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A reverse proxy at 10.0.0.0/8 whose X-Forwarded-For is believed: the citizen's request is tried from
    many addresses."""
    return settings.model_copy(update={"trusted_proxies": [ipaddress.ip_network("10.0.0.0/8")]})


def case_officer_step(client: TestClient, login: Login) -> tuple[str, dict[str, Any]]:
    """A dossier accepted and assigned to the demo case officer (Lê Thị Hương): its code and current step."""
    code = intake(client, login)["code"]
    do(client, login, code, "tiep_nhan", ACCEPT)
    do(client, login, code, "phan_cong", ASSIGN)
    step = current_step(client, login, code)
    assert step["assignee"] == "chuyen_vien", step
    return code, step


def mine(client: TestClient, login: Login, user: str) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/tasks", params={"scope": "mine"}, headers=login(user))
    assert response.status_code == 200, response.text
    return {t["id"]: t for t in response.json()["items"]}


def refusal(response: Any, status: int, field: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    if field is None:
        return str(body["detail"])
    [error] = [e for e in body["errors"] if e["field"] == field]
    return str(error["message"])


def notices(client: TestClient, login: Login, user: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/notifications", headers=login(user))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def run_reminders(client: TestClient) -> int:
    return int(client.app.state.wiring.scheduler.run_once("reminders"))  # type: ignore[attr-defined]


def complete(client: TestClient, login: Login, user: str, task_id: str, data: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=login(user))


def step_data(step: dict[str, Any]) -> dict[str, Any]:
    if step["step"] == "kiem_tra_thuc_te":
        return {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Cơ sở đạt yêu cầu"}
    return {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"}


class TestReassignment:
    def test_a_division_head_reassigns_and_the_receiver_completes(self, app_client: TestClient, login: Login) -> None:
        code, step = case_officer_step(app_client, login)
        url = f"/api/v1/tasks/{step['task_id']}/reassign"
        body = {"to_official": "chuyen_vien_2", "reason": "Chuyên viên Hương nghỉ ốm đột xuất"}

        # Refusals: a role that may not, a head of another unit of the agency, then the receiver's checks.
        assert refusal(app_client.post(url, json=body, headers=login("chuyen_vien")), 403) == (
            "Bạn không có quyền thực hiện thao tác này (cần vai trò: Lãnh đạo phòng chuyên môn, Lãnh đạo Sở).")
        assert refusal(app_client.post(url, json=body, headers=login("lanh_dao_so")), 403) == (
            "Chỉ lãnh đạo phòng chuyên môn của phòng giải quyết hồ sơ được giao lại công việc này.")
        assert app_client.post(url, json=body, headers=login("lanh_dao_phong_dl")).status_code == 404
        head = login("lanh_dao_phong")
        for to, message in (
            ("mot_cua", "Cán bộ nhận: phải có vai trò Chuyên viên thụ lý."),
            ("chuyen_vien_dl", "Cán bộ nhận: phải công tác tại phòng giải quyết hồ sơ."),
            ("lanh_dao_phong", "Cán bộ nhận: không giao lại cho chính mình; hãy nhận xử lý công việc."),
            ("chuyen_vien", "Cán bộ nhận: công việc đang do chính cán bộ này xử lý."),
            ("khong_co", "Cán bộ nhận: không có cán bộ này."),
        ):
            response = app_client.post(url, json={**body, "to_official": to}, headers=head)
            assert refusal(response, 422, "to_official") == message, to
        assert refusal(app_client.post(url, json={**body, "reason": "ốm"}, headers=head), 422, "reason") == (
            "Lý do: cần nêu rõ lý do (ít nhất 5 ký tự).")
        disabled = app_client.post("/api/v1/officials/chuyen_vien_dl/disable", headers=login("quan_tri"), json={})
        assert disabled.status_code in (200, 204), disabled.text
        response = app_client.post(url, json={**body, "to_official": "chuyen_vien_dl"}, headers=head)
        assert refusal(response, 422, "to_official") == "Cán bộ nhận: tài khoản của cán bộ này đã bị khóa."

        moved = app_client.post(url, json=body, headers=head)
        assert moved.status_code == 200, moved.text
        assert moved.json()["assignee"] == "chuyen_vien_2"
        # The receiver's inbox marks it; the former holder no longer has it and may not complete it.
        task = mine(app_client, login, "chuyen_vien_2")[step["task_id"]]
        assert task["handover"] == f"Được giao lại bởi {HEAD}"
        assert step["task_id"] not in mine(app_client, login, "chuyen_vien")
        division = app_client.get("/api/v1/tasks", params={"scope": "all"}, headers=login("giam_sat")).json()["items"]
        assert [t["handover"] for t in division if t["id"] == step["task_id"]] == [None]  # the receiver's mark
        detail = app_client.get(f"/api/v1/tasks/{step['task_id']}", headers=login("chuyen_vien_2")).json()
        assert detail["handover"] == f"Được giao lại bởi {HEAD}"
        # The reminders job tells the receiver once.
        run_reminders(app_client)
        run_reminders(app_client)
        told = [n for n in notices(app_client, login, "chuyen_vien_2") if n["kind"] == "reassigned"]
        assert len(told) == 1, told
        assert told[0]["title"].startswith("Được giao lại: ") and told[0]["title"].endswith(f"— hồ sơ {code}")
        assert told[0]["body"].startswith(f"{HEAD} đã giao lại cho đồng chí bước «")
        assert told[0]["body"].endswith("Lý do: Chuyên viên Hương nghỉ ốm đột xuất")

        stale = complete(app_client, login, "chuyen_vien", step["task_id"], step_data(step))
        assert refusal(stale, 403) == "Công việc đã được giao cho cán bộ khác."
        done = complete(app_client, login, "chuyen_vien_2", step["task_id"], step_data(step))
        assert done.status_code == 200, done.text
        # The control log (the officials' history, Mẫu 06) records it; the citizen's timeline does not.
        history = app_client.get(f"/api/v1/dossiers/{code}/history", headers=login("mot_cua")).json()["items"]
        [row] = [h for h in history if h["step"] == "giao_lai"]
        assert row["step_name"].startswith("Giao lại công việc «")
        assert row["actor"] == "Trần Văn Minh"
        assert row["to"] == "Bùi Thị Ngọc Anh (Chuyên viên thụ lý)"
        assert row["note"] == "Thay Lê Thị Hương. Chuyên viên Hương nghỉ ốm đột xuất"
        assert any(h["actor"] == "Bùi Thị Ngọc Anh" for h in history if h["step"] == step["step"])
        lookup = app_client.post("/api/v1/public/lookup", json={"code": code, "verifier": APPLICANT["phone"][-4:]})
        assert lookup.status_code == 200 and "giao_lai" not in lookup.text
        again = app_client.post(url, json=body, headers=head)
        assert refusal(again, 409) == "Công việc đã được hoàn thành hoặc không còn mở."


class TestDelegation:
    def test_a_delegate_sees_and_completes_the_delegators_tasks_while_it_lasts(
        self, app_client: TestClient, login: Login, clock: ManualClock,
    ) -> None:
        code, step = case_officer_step(app_client, login)
        today = to_local(clock.now()).date()
        url, me = "/api/v1/me/delegations", login("chuyen_vien")
        body = {"delegate": "chuyen_vien_2", "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=2)).isoformat(), "reason": "Nghỉ phép năm"}
        yesterday, later = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=200)).isoformat()
        for change, field, message in (
            ({"delegate": "chuyen_vien"}, "delegate", "Người được ủy quyền: không ủy quyền cho chính mình."),
            ({"delegate": "mot_cua"}, "delegate",
             "Người được ủy quyền: phải có vai trò Chuyên viên thụ lý như người ủy quyền."),
            ({"delegate": "chuyen_vien_dl"}, "delegate",
             "Người được ủy quyền: phải cùng đơn vị (Phòng Quản lý Văn hóa và Gia đình)."),
            ({"starts_on": yesterday}, "starts_on", f"Từ ngày: không được trước hôm nay ({today:%d/%m/%Y})."),
            ({"ends_on": yesterday}, "ends_on", "Đến ngày: không được trước ngày bắt đầu ủy quyền."),
            ({"ends_on": later}, "ends_on",
             "Đến ngày: ủy quyền dài nhất 90 ngày; vắng lâu hơn thì đề nghị thay đổi phân công."),
        ):
            assert refusal(app_client.post(url, json={**body, **change}, headers=me), 422, field) == message
        assert app_client.post(url, json=body, headers=login("giam_sat")).status_code == 403  # nothing to give

        given = app_client.post(url, json=body, headers=me)
        assert given.status_code == 201, given.text
        assert given.json()["delegate"] == "Bùi Thị Ngọc Anh, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"
        assert given.json()["active"] is True
        overlap = app_client.post(url, json=body, headers=me)
        assert overlap.status_code == 409 and overlap.json()["code"] == "delegation_overlaps"
        received = app_client.get(url, headers=login("chuyen_vien_2")).json()["items"]
        assert [d["delegator"] for d in received] == ["Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"]

        ends = (today + timedelta(days=2)).strftime("%d/%m/%Y")
        mark = f"Thay Lê Thị Hương (ủy quyền đến {ends})"
        assert mine(app_client, login, "chuyen_vien_2")[step["task_id"]]["handover"] == mark
        counts = app_client.get("/api/v1/tasks/counts", headers=login("chuyen_vien_2")).json()
        assert counts["mine"]["total"] == 1
        # A new assignment to the delegator shows in the delegate's inbox too.
        _, later_step = case_officer_step(app_client, login)
        assert mine(app_client, login, "chuyen_vien_2")[later_step["task_id"]]["handover"] == mark
        run_reminders(app_client)
        [told] = [n for n in notices(app_client, login, "chuyen_vien_2") if n["kind"] == "delegated"]
        assert told["title"] == "Được ủy quyền xử lý công việc thay Lê Thị Hương"
        assert told["body"].startswith("Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình ủy quyền cho "
                                       f"đồng chí xử lý công việc từ ngày {today:%d/%m/%Y} đến hết ngày {ends}")
        history = app_client.get(f"/api/v1/dossiers/{code}/history", headers=login("mot_cua")).json()["items"]
        [row] = [h for h in history if h["step"] == "uy_quyen"]
        assert row["note"] == f"Từ {today:%d/%m/%Y} đến {ends}. Nghỉ phép năm"

        done = complete(app_client, login, "chuyen_vien_2", step["task_id"], step_data(step))
        assert done.status_code == 200, done.text
        # Someone without the lane's role gets nothing from a delegation: mot_cua is not a delegate anyway.
        assert complete(app_client, login, "mot_cua", later_step["task_id"], step_data(later_step)).status_code == 403

        # After the period the delegator's tasks are theirs alone again.
        clock.set(clock.now() + timedelta(days=3))
        assert later_step["task_id"] not in mine(app_client, login, "chuyen_vien_2")
        expired = complete(app_client, login, "chuyen_vien_2", later_step["task_id"], step_data(later_step))
        assert refusal(expired, 403) == "Công việc đã được giao cho cán bộ khác."
        ended = app_client.delete(f"{url}/{given.json()['id']}", headers=login("chuyen_vien"))
        assert ended.status_code == 409 and ended.json()["code"] == "delegation_ended"
        assert app_client.get(url, headers=login("chuyen_vien")).json()["items"][0]["active"] is False

    def test_a_revoked_delegation_stops_at_once(self, app_client: TestClient, login: Login, clock: ManualClock) -> None:
        _, step = case_officer_step(app_client, login)
        today = to_local(clock.now()).date()
        given = app_client.post("/api/v1/me/delegations", headers=login("chuyen_vien"), json={
            "delegate": "chuyen_vien_2", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
            "reason": "Đi tập huấn một ngày"}).json()
        assert step["task_id"] in mine(app_client, login, "chuyen_vien_2")
        other = app_client.delete(f"/api/v1/me/delegations/{given['id']}", headers=login("chuyen_vien_2"))
        assert other.status_code == 404  # only the delegator revokes
        revoked = app_client.delete(f"/api/v1/me/delegations/{given['id']}", headers=login("chuyen_vien"))
        assert revoked.status_code == 200 and revoked.json()["active"] is False
        assert step["task_id"] not in mine(app_client, login, "chuyen_vien_2")
        run_reminders(app_client)  # revoked before the job came: nobody is told
        assert not [n for n in notices(app_client, login, "chuyen_vien_2") if n["kind"] == "delegated"]


class TestAuditTrail:
    def test_supervisors_read_one_dossiers_trail_with_filters(
        self, app_client: TestClient, login: Login, clock: ManualClock,
    ) -> None:
        code, step = case_officer_step(app_client, login)
        reveal = app_client.post(f"/api/v1/dossiers/{code}/reveal", headers=login("chuyen_vien"), json={
            "reason": "Gọi số 0912345678 để hẹn kiểm tra", "fields": ["phone"]})
        assert reveal.status_code == 200, reveal.text
        moved = app_client.post(f"/api/v1/tasks/{step['task_id']}/reassign", headers=login("lanh_dao_phong"),
                                json={"to_official": "chuyen_vien_2", "reason": "Cân đối khối lượng công việc"})
        assert moved.status_code == 200, moved.text

        def query(user: str = "giam_sat", **params: Any) -> Any:
            return app_client.get("/api/v1/audit", params={"dossier_code": code, **params}, headers=login(user))

        whole = query()
        assert whole.status_code == 200, whole.text
        entries = whole.json()["items"]
        actions = {e["action"] for e in entries}
        assert {"dossier.intake", "task.complete", "personal_data.reveal", "task.reassign"} <= actions
        assert all(e["dossier_code"] == code for e in entries)
        [revealed] = [e for e in entries if e["action"] == "personal_data.reveal"]
        assert revealed["by"] == "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"
        assert revealed["kind_name"] == "Xem đầy đủ thông tin cá nhân"
        assert revealed["reason"] == "Gọi số 0912***678 để hẹn kiểm tra"
        assert "0912345678" not in whole.text and "008190012345" not in whole.text
        [handed] = [e for e in entries if e["action"] == "task.reassign"]
        assert handed["by"] == HEAD and handed["action_name"] == "Giao lại công việc"
        assert handed["data"]["to"] == "Bùi Thị Ngọc Anh, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"
        assert '"chuyen_vien_2"' not in whole.text  # officials by name, not by login

        tasks = query(action="task").json()
        assert tasks["total"] >= 3 and {e["action"] for e in tasks["items"]} <= {"task.complete", "task.reassign"}
        by_head = query(official="lanh_dao_phong").json()["items"]
        assert {e["by"] for e in by_head} == {HEAD}
        day = to_local(clock.now()).date()
        assert query(**{"from": day.isoformat(), "to": day.isoformat()}).json()["total"] == whole.json()["total"]
        before = (day - timedelta(days=1)).isoformat()
        assert query(**{"from": before, "to": before}).json()["total"] == 0
        paged = query(page_size=2, page=2).json()
        assert len(paged["items"]) == 2 and paged["total"] == whole.json()["total"]
        reversed_period = query(**{"from": day.isoformat(), "to": before})
        assert refusal(reversed_period, 422, "to") == ("Đến ngày: khoảng thời gian không hợp lệ (từ ngày trước đến "
                                                       "ngày, tối đa 1 năm).")
        assert query("giam_sat_tinh").json()["total"] == whole.json()["total"]
        for user in ("lanh_dao_phong", "mot_cua", "chuyen_vien", "quan_tri"):
            assert query(user).status_code == 403, user
        # Reading the trail is itself recorded.
        reads = app_client.get("/api/v1/audit", params={"action": "audit.search"}, headers=login("giam_sat_tinh"))
        assert reads.json()["total"] >= 1


class TestCitizensProcessingRequest:
    def test_the_answer_needs_the_second_factor_and_names_units_not_officials(
        self, app_client: TestClient, login: Login,
    ) -> None:
        code, _ = case_officer_step(app_client, login)
        assert app_client.post(f"/api/v1/dossiers/{code}/reveal", headers=login("mot_cua"), json={
            "reason": "Đối chiếu giấy tờ với người nộp", "fields": ["id_number"]}).status_code == 200
        url = "/api/v1/public/processing"
        wrong = app_client.post(url, json={"code": code, "verifier": "0000"})
        assert wrong.status_code == 404 and wrong.json()["code"] == "lookup_not_found"
        assert "Nguyễn" not in wrong.text
        missing = app_client.post(url, json={"code": code})
        assert refusal(missing, 422, "verifier") == "Cần nhập đúng 4 chữ số cuối số điện thoại hoặc số CCCD/CMND."
        right = app_client.post(url, json={"code": code, "verifier": APPLICANT["phone"][-4:]})
        assert right.status_code == 200, right.text
        answer = right.json()
        assert answer["code"] == code and answer["controller"]
        items = answer["items"]
        [revealed] = [i for i in items if i["kind"] == "reveal"]
        assert revealed["what"] == "Xem đầy đủ thông tin cá nhân của người nộp"
        assert revealed["role"] == "Công chức Bộ phận Một cửa"
        assert revealed["unit"] == "Bộ phận Một cửa tại Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang"
        assert any(i["what"] == "Tiếp nhận hồ sơ" for i in items)
        assert any(i["what"] == "Hoàn thành bước xử lý" and i["role"] == "Lãnh đạo phòng chuyên môn" for i in items)
        for name in ("Nguyễn Thị Thu Hà", "Trần Văn Minh", "Lê Thị Hương", "mot_cua", "lanh_dao_phong"):
            assert name not in right.text, name
        assert answer["note"].startswith("Danh sách ghi đơn vị và vai trò của người xử lý, không ghi họ tên cán bộ.")
        # Both requests are on the trail; the refused one names no dossier.
        asked = app_client.get("/api/v1/audit", params={"action": "public.processing"},
                               headers=login("giam_sat_tinh")).json()["items"]
        assert {(e["dossier_code"], e["data"]["result"]) for e in asked} == {(None, "refused"), (code, "found")}

    def test_wrong_guesses_spend_the_dossiers_one_budget_whatever_the_address(
        self, app_client: TestClient, login: Login,
    ) -> None:
        code = intake(app_client, login)["code"]
        proxy = TestClient(app_client.app, client=("10.0.0.2", 40000))

        def post(path: str, verifier: str, i: int) -> Any:
            return proxy.post(path, json={"code": code, "verifier": verifier},
                              headers={"X-Forwarded-For": f"198.51.100.{i}"})

        right = APPLICANT["phone"][-4:]
        wrong = [f"{n:04d}" for n in range(1, 11)]
        assert [post("/api/v1/public/processing", guess, i).status_code for i, guess in enumerate(wrong)] == [404] * 10
        for path in ("/api/v1/public/processing", "/api/v1/public/lookup"):
            locked = post(path, right, 50)
            assert (locked.status_code, locked.json()["code"]) == (429, "second_factor_locked"), path
