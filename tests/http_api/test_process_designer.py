"""The process designers' API (issue 21): validation without deploying (the same problems deploy answers),
what a version changed, where unfinished instances wait (one aggregate), the modeler's element templates;
who may call each, and bad input refused in the one error format. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.http_api.conftest import BPMN_DIR
from workflows.core.db import session_scope
from workflows.notifications.texts import EVENT_LABELS, EVENTS

Login = Callable[[str], dict[str, str]]
KARAOKE = (BPMN_DIR / "karaoke_vu_truong.bpmn").read_bytes()
BASE = "/api/v1/process-definitions"


def _file(content: bytes, name: str = "karaoke_vu_truong.bpmn") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, content, "application/xml")}


def _intake(client: TestClient, login: Login) -> str:
    response = client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "accept": True,
        "applicant": {"full_name": "Nguyễn Văn An", "id_number": "008190012345", "phone": "0912345678"}})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def test_validate_says_what_deploy_says_on_the_elements(app_client: TestClient, login: Login) -> None:
    same = app_client.post(f"{BASE}/validate", headers=login("quan_tri"), files=_file(KARAOKE))
    assert same.status_code == 200, same.text
    body = same.json()
    assert body["valid"] is True and body["problems"] == [] and body["key"] == "karaoke_vu_truong"
    assert body["changes"] == {"base_version": 1, "added": [], "removed": [], "changed": [], "moved": []}

    broken = (KARAOKE.replace(b"value=\"'DA_TIEP_NHAN'\"", b"value=\"'DA_NHAN'\"", 1)
              .replace(b'name="VAN_THU"', b'name="Van thu"', 1))
    checked = app_client.post(f"{BASE}/validate", headers=login("quan_tri"), files=_file(broken))
    assert checked.status_code == 200
    problems = checked.json()["problems"]
    assert checked.json()["valid"] is False
    by_element = {p["field"]: p["message"] for p in problems}
    assert "st_da_tiep_nhan" in by_element and "'DA_NHAN' không có trong danh mục" in by_element["st_da_tiep_nhan"]
    assert any("không phải mã vai trò" in m and "Van thu" in m for m in by_element.values())
    assert {c["element_id"] for c in checked.json()["changes"]["changed"]} >= {"st_da_tiep_nhan"}

    deployed = app_client.post(BASE, headers=login("quan_tri"), files=_file(broken))
    assert deployed.status_code == 422
    assert deployed.json()["errors"] == problems  # one validation, said the same way


def test_validate_refusals(app_client: TestClient, login: Login) -> None:
    garbled = app_client.post(f"{BASE}/validate", headers=login("quan_tri"), files=_file(b"<bpmn:definitions"))
    assert garbled.status_code == 200
    assert garbled.json()["valid"] is False and garbled.json()["key"] is None and garbled.json()["changes"] is None
    assert garbled.json()["problems"][0]["field"] == "xml"
    assert "cú pháp" in garbled.json()["problems"][0]["message"]

    missing = app_client.post(f"{BASE}/validate", headers=login("quan_tri"))
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["errors"] == [{"field": "file", "message": "Tệp: bắt buộc, chưa được nhập."}]

    huge = app_client.post(f"{BASE}/validate", headers=login("quan_tri"), files=_file(b" " * (2 * 1024 * 1024 + 10)))
    assert huge.status_code == 413
    assert huge.json()["detail"]

    for role in ("mot_cua", "lanh_dao_phong", "chuyen_vien", "lanh_dao_so", "van_thu", "giam_sat", "giam_sat_tinh"):
        refused = app_client.post(f"{BASE}/validate", headers=login(role), files=_file(KARAOKE))
        assert refused.status_code == 403, role
        assert "Quản trị" in refused.json()["detail"]
    assert app_client.post(f"{BASE}/validate", files=_file(KARAOKE)).status_code == 401


def test_changes_against_the_version_before(app_client: TestClient, login: Login) -> None:
    renamed = KARAOKE.replace(b'name="Ki', 'name="Kiểm tra lại: ki'.encode(), 1)
    deployed = app_client.post(BASE, headers=login("quan_tri"), files=_file(renamed))
    assert deployed.status_code == 201 and deployed.json()["version"] == 2

    second = app_client.get(f"{BASE}/karaoke_vu_truong/versions/2/changes", headers=login("chuyen_vien"))
    assert second.status_code == 200
    body = second.json()
    assert body["base_version"] == 1 and body["added"] == [] and body["removed"] == [] and body["moved"] == []
    [changed] = body["changed"]
    assert changed["element_id"] == "tiep_nhan" and changed["aspects"] == ["name"]
    assert changed["name"].startswith("Kiểm tra lại")

    first = app_client.get(f"{BASE}/karaoke_vu_truong/versions/1/changes", headers=login("quan_tri")).json()
    assert first["base_version"] is None and {"tiep_nhan", "phan_cong"} <= {e["element_id"] for e in first["added"]}

    absent = app_client.get(f"{BASE}/karaoke_vu_truong/versions/9/changes", headers=login("quan_tri"))
    assert absent.status_code == 404 and absent.json()["detail"] == "Không tìm thấy quy trình."
    zero = app_client.get(f"{BASE}/karaoke_vu_truong/versions/0/changes", headers=login("quan_tri"))
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "version"
    assert app_client.get(f"{BASE}/karaoke_vu_truong/versions/1/changes").status_code == 401


def test_waiting_counts_instances_per_element_in_one_statement(app_client: TestClient, login: Login) -> None:
    _intake(app_client, login)
    _intake(app_client, login)
    response = app_client.get(f"{BASE}/karaoke_vu_truong/versions/1/waiting", headers=login("quan_tri"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["instances"] == 2
    assert body["elements"] == [{"element_id": "phan_cong", "waiting": 2, "incidents": 0}]
    other = app_client.get(f"{BASE}/mot_cua_chuan/versions/1/waiting", headers=login("giam_sat_tinh"))
    assert other.status_code == 200 and other.json() == {"key": "mot_cua_chuan", "version": 1, "instances": 0,
                                                         "elements": []}

    wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
    statements: list[str] = []
    with session_scope(wiring.db) as session:
        listen = lambda conn, cursor, sql, *args: statements.append(sql)  # noqa: E731
        event.listen(wiring.db, "before_cursor_execute", listen)
        try:
            found = wiring.engine.waiting(session, key="karaoke_vu_truong", version=1)
        finally:
            event.remove(wiring.db, "before_cursor_execute", listen)
    assert found.at_tasks == {"phan_cong": 2}
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]  # not SQLite's BEGIN
    assert len(queries) == 2  # the definition, then one aggregate (no loop over instances)
    assert "UNION ALL" in queries[1].upper()

    for role in ("mot_cua", "lanh_dao_phong", "chuyen_vien", "lanh_dao_so", "van_thu", "giam_sat"):
        assert app_client.get(f"{BASE}/karaoke_vu_truong/versions/1/waiting", headers=login(role)).status_code == 403
    assert app_client.get(f"{BASE}/karaoke_vu_truong/versions/1/waiting").status_code == 401
    absent = app_client.get(f"{BASE}/khong_co/versions/1/waiting", headers=login("quan_tri"))
    assert absent.status_code == 404


def test_element_templates_come_from_what_the_server_checks(app_client: TestClient, login: Login) -> None:
    response = app_client.get(f"{BASE}/element-templates", headers=login("chuyen_vien"))
    assert response.status_code == 200
    body = response.json()
    operators = {t["operator"]: t for t in body["service_tasks"]}
    assert {"dossier/status", "zalo/notify", "documents/render"} <= set(operators)
    [status] = [p for p in operators["dossier/status"]["params"] if p["name"] == "status"]
    assert status["required"] and {"value": "DA_TIEP_NHAN", "label": "Đã tiếp nhận (trạng thái 2)"} in status["choices"]
    [events] = operators["zalo/notify"]["params"]
    assert {c["value"] for c in events["choices"]} == EVENTS == set(EVENT_LABELS)
    [form] = operators["documents/render"]["params"]
    assert [c["value"] for c in form["choices"]] == [f"MAU_0{i}" for i in range(1, 8)]
    assert "MOT_CUA" in {r["value"] for r in body["user_task"]["roles"]}
    assert {p["name"] for p in body["user_task"]["properties"]} == {"formJsonSchema", "assigneeVariable", "title"}
    assert app_client.get(f"{BASE}/element-templates").status_code == 401
