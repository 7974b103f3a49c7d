"""Access: every endpoint × every demo role, the other department, anonymous callers, disabled users,
public lookups without their second factor, unsigned webhooks; data at rest encrypted, lookups by keyed hash."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from workflows.core.config import CryptoSettings
from workflows.documents.storage import MAGIC
from workflows.privacy import PersonalDataCipher

# Backend-independent (the HTTP contract, no query of its own): on PostgreSQL, the production database, only.
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

Login = Callable[[str], dict[str, str]]
ROLES = ["mot_cua", "lanh_dao_phong", "chuyen_vien", "lanh_dao_so", "van_thu", "giam_sat", "quan_tri", "mot_cua_dl"]
ID_NUMBER, PHONE = "008190012345", "0912345678"
# The process designers' validation is the administrator's; where a version's dossiers wait is also the
# province-wide supervisors' (GIAM_SAT_TINH, not among ROLES here: tests/http_api/test_process_designer.py).
# Migrating running instances to another version, and its records, are the administrator's (issue 23).
ADMIN_ONLY = re.compile(r"^(\w+ /api/v1/(officials|api-keys|incidents|admin)\b"
                        r"|POST /api/v1/process-definitions(/validate)?$"
                        r"|GET /api/v1/process-definitions/\{key\}/versions/\{version\}/waiting$"
                        r"|(GET|POST) /api/v1/process-definitions/\{key\}/migrations(/\{migration_id\})?$"
                        r"|(POST|PUT|DELETE) /api/v1/news|GET /api/v1/news/\{news_id\}/zalo$)")
SUPERVISOR_TOO = {"GET /api/v1/admin/scheduler"}  # the supervisor (GIAM_SAT) watches the jobs as well
DEPARTMENT = {"mot_cua", "lanh_dao_phong", "chuyen_vien", "lanh_dao_so", "van_thu", "giam_sat"}
# Who may do what to a dossier of their department (docs/ACCESS.md), written out here on its own: the
# desk takes withdrawals, the case officer or a head issues Mẫu 04, only those with a need see full data.
ACTION_RULES: dict[str, set[str]] = {
    "GET /api/v1/dossiers": DEPARTMENT,
    "GET /api/v1/dossiers/{code}": DEPARTMENT,
    "GET /api/v1/dossiers/{code}/history": DEPARTMENT,
    "GET /api/v1/dossiers/{code}/documents": DEPARTMENT,
    "GET /api/v1/dossiers/{code}/documents/{document_id}": DEPARTMENT,
    "GET /api/v1/dossiers/{code}/dvcqg": DEPARTMENT,  # the dossier's DVCQG sync (issue 19)
    "POST /api/v1/dossiers/search-by-id": {"mot_cua", "chuyen_vien", "lanh_dao_phong", "giam_sat"},
    "POST /api/v1/dossiers/{code}/reveal": {"mot_cua", "chuyen_vien"},
    "POST /api/v1/dossiers/{code}/documents": DEPARTMENT - {"giam_sat"},
    "POST /api/v1/dossiers/{code}/control-slip": {"mot_cua", "lanh_dao_phong", "giam_sat"},
    "POST /api/v1/dossiers/{code}/messages": {"mot_cua", "chuyen_vien", "lanh_dao_phong"},
    # The workspace's preview of that message (issue 21): whoever may send it, nothing sent.
    "POST /api/v1/dossiers/{code}/messages/preview": {"mot_cua", "chuyen_vien", "lanh_dao_phong"},
    "GET /api/v1/dossiers/{code}/zalo-conversation": {"mot_cua", "chuyen_vien", "lanh_dao_phong", "giam_sat"},
    "POST /api/v1/dossiers/{code}/apology": {"chuyen_vien", "lanh_dao_phong", "lanh_dao_so"},
    "GET /api/v1/dossiers/{code}/payments": DEPARTMENT,
    "POST /api/v1/dossiers/{code}/payments/check": {"mot_cua"},  # 404 here: the dossier has no online payment
    "POST /api/v1/dossiers/{code}/withdraw": {"mot_cua"},  # last: it ends the dossier
}
# Failed messages (issue 18): listing and resending are the administrator's alone, with a real body each.
MESSAGE_ACTIONS: dict[str, dict[str, Any]] = {
    "GET /api/v1/admin/messages": {"params": {"state": "waiting"}},
    "POST /api/v1/admin/messages/resend": {"json": {"state": "dead"}},
    "POST /api/v1/admin/messages/{message_id}/resend": {},
}
# Zalo templates (issue 18): the configuration, its last check and a new check are the administrator's alone.
TEMPLATE_ACTIONS = ("GET /api/v1/admin/zalo/templates", "POST /api/v1/admin/zalo/templates/check")
# The OA grant (issue 18): starting it and seeing the connection are the administrator's alone.
ZALO_ACTIONS = ("POST /api/v1/admin/zalo/grant", "GET /api/v1/admin/zalo")
# The DVCQG catalogue refresh (issue 19): the administrator's alone (ADMIN_ONLY covers /admin); with no
# national portal reachable from the test client, the administrator's preview is a 503 (or 502), not a fault.
UPSTREAM_ACTIONS = {"GET /api/v1/admin/dvcqg/catalogue/changes", "POST /api/v1/admin/dvcqg/catalogue/apply"}
# The officials' roster (issue 21 item 5): roles, enabling again, the departments; the administrator's alone.
OFFICIAL_ACTIONS: dict[str, dict[str, Any]] = {
    "GET /api/v1/officials": {},
    "GET /api/v1/admin/departments": {},
    "PUT /api/v1/officials/{username}/roles": {"json": {"roles": ["CHUYEN_VIEN"]}},
    "POST /api/v1/officials/{username}/enable": {},
    "POST /api/v1/admin/officials/{username}/unlock": {},
}
# Hand-overs and the audit trail (issue 23): who may reassign a task (the head of the unit where its lane
# works: here the division's, for the dossier's open phan_cong step; the Sở leader is refused with
# not_this_unit), who holds tasks to delegate, who reads the audit trail (the supervisors). An allowed caller
# gets 200 or the 422 of the body's own check; the others 403, another department's 404 for the task.
HANDOVER_RULES: dict[str, tuple[set[str], dict[str, Any]]] = {
    "POST /api/v1/tasks/{task_id}/reassign": ({"lanh_dao_phong"}, {"json": {"to_official": "khong_ton_tai",
                                                                             "reason": "Cân đối công việc"}}),
    "GET /api/v1/me/delegations": (DEPARTMENT - {"giam_sat"} | {"mot_cua_dl"}, {}),
    "POST /api/v1/me/delegations": (DEPARTMENT - {"giam_sat"} | {"mot_cua_dl"}, {"json": {
        "delegate": "khong_ton_tai", "starts_on": "2026-11-24", "ends_on": "2026-11-25", "reason": "Nghỉ phép"}}),
    "DELETE /api/v1/me/delegations/{delegation_id}": (DEPARTMENT - {"giam_sat"} | {"mot_cua_dl"}, {}),
    "GET /api/v1/audit": ({"giam_sat", "giam_sat_tinh"}, {}),
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# Reports for the province (issue 23 item 4, docs/ACCESS.md): the indicators and the statistics files are the
# supervisors' (as the statistics), the register's files the desk's, the division head's and the supervisor's.
REPORT_SUPERVISORS = {"lanh_dao_phong", "lanh_dao_so", "giam_sat", "giam_sat_tinh"}
REPORT_RULES: dict[str, set[str]] = {
    "GET /api/v1/reports/indicators": REPORT_SUPERVISORS,
    "GET /api/v1/reports/indicators.xlsx": REPORT_SUPERVISORS,
    "GET /api/v1/reports/indicators.pdf": REPORT_SUPERVISORS,
    "GET /api/v1/reports/statistics.xlsx": REPORT_SUPERVISORS,
    "GET /api/v1/reports/statistics.pdf": REPORT_SUPERVISORS,
    "GET /api/v1/reports/register.xlsx": {"mot_cua", "lanh_dao_phong", "giam_sat", "mot_cua_dl"},
    "GET /api/v1/reports/register.pdf": {"mot_cua", "lanh_dao_phong", "giam_sat", "mot_cua_dl"},
}


def administrators_only(client: TestClient, login: Login, actions: tuple[str, ...]) -> list[str]:
    """Call each action (`"METHOD /path"`, a real path of the API) as every role and anonymously: what does
    not answer 200 to the administrator, 403 to the other roles and 401 without a token."""
    assert set(actions) <= {f"{m} {p}" for m, p, _ in operations(client)}  # the paths are real
    problems = []
    for label in actions:
        method, path = label.split(" ", 1)
        for role in ROLES:
            status = client.request(method, path, headers=login(role)).status_code
            if status != (200 if role == "quan_tri" else 403):
                problems.append(f"{role} {label} → {status}")
        if client.request(method, path).status_code != 401:
            problems.append(f"anonymous {label}")
    return problems


def setup_dossier(client: TestClient, login: Login) -> tuple[str, str]:
    response = client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "accept": True,
        "applicant": {"full_name": "Nguyễn Thị Hồng Nhung", "id_number": ID_NUMBER, "phone": PHONE}})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["code"], body["current_steps"][0]["task_id"]


def operations(client: TestClient) -> list[tuple[str, str, bool]]:
    schema = client.get("/openapi.json").json()
    return [(method.upper(), path, bool(op.get("security"))) for path, ops in schema["paths"].items()
            for method, op in ops.items()]


def count(client: TestClient, table: str) -> int:
    with client.app.state.wiring.db.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


@ON_POSTGRESQL
class TestAccessMatrix:
    def test_every_endpoint_for_every_role(self, app_client: TestClient, login: Login, backend: str,
                                           figures: Counter[str]) -> None:
        code, task_id = setup_dossier(app_client, login)
        values = {"code": code, "task_id": task_id, "username": "khong_ton_tai", "key": "mot_cua_chuan",
                  "version": "1", "document_id": "1", "incident_id": "1", "notification_id": "1", "news_id": "1",
                  "year": "2026", "day": "2026-11-24"}
        problems, calls = [], 0
        for method, path, secured in operations(app_client):
            url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)
            label = f"{method} {path}"
            if path.startswith("/api/v1/auth") or path == "/api/v1/zalo/webhook":
                continue
            if secured:
                anonymous = app_client.request(method, url, json={})
                calls += 1
                if anonymous.status_code != 401:
                    problems.append(f"anonymous {label} → {anonymous.status_code}")
            for role in ROLES:
                response = app_client.request(method, url, headers=login(role), json={})
                calls += 1
                status = response.status_code
                if status >= 500 and not (label in UPSTREAM_ACTIONS and status in (502, 503)):
                    problems.append(f"{role} {label} → {status}")
                supervisor_ok = role == "giam_sat" and label in SUPERVISOR_TOO
                if role != "quan_tri" and ADMIN_ONLY.match(label) and status != 403 and not supervisor_ok:
                    problems.append(f"{role} {label} → {status}, expected 403")
                # 422: the empty body is refused before anything is looked up (nothing is revealed).
                if (role == "mot_cua_dl" and ("{code}" in path or "{task_id}" in path)
                        and status not in (403, 404, 422)):
                    problems.append(f"other department {label} → {status}: {response.text[:120]}")
                if role == "mot_cua_dl" and status < 400 and code in response.text:
                    problems.append(f"other department {label} sees the dossier code")
        figures[f"{backend}: access matrix requests"] += calls
        figures[f"{backend}: access matrix violations"] += len(problems)
        assert not problems, "\n".join(problems)
        other = app_client.post("/api/v1/dossiers/search-by-id", headers=login("mot_cua_dl"),
                                json={"id_number": ID_NUMBER, "reason": "Kiểm tra hồ sơ trùng"})
        assert other.status_code < 500 and code not in other.text

    def test_dossier_actions_follow_the_role_table(self, app_client: TestClient, login: Login, backend: str,
                                                   figures: Counter[str]) -> None:
        code, _ = setup_dossier(app_client, login)
        receipt = app_client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"][0]
        due = app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua")).json()["due_at"]
        new_due = (datetime.fromisoformat(due) + timedelta(days=2)).isoformat()
        bodies: dict[str, dict[str, Any]] = {
            "POST /api/v1/dossiers/search-by-id": {"json": {"id_number": ID_NUMBER, "reason": "Kiểm tra trùng"}},
            "POST /api/v1/dossiers/{code}/reveal": {"json": {"reason": "Đối chiếu khi trả", "fields": ["address"]}},
            "POST /api/v1/dossiers/{code}/documents": {"files": {"file": ("bien-ban.pdf", PDF, "application/pdf")}},
            "POST /api/v1/dossiers/{code}/messages": {"json": {"text": "Mời ông/bà bổ sung bản sao."}},
            "POST /api/v1/dossiers/{code}/messages/preview": {"json": {"text": "Mời ông/bà bổ sung bản sao."}},
            "POST /api/v1/dossiers/{code}/apology": {"json": {"reason": "Cần xin ý kiến Công an tỉnh",
                                                              "new_due_at": new_due}},
            "POST /api/v1/dossiers/{code}/withdraw": {"json": {"reason": "Công dân có đơn rút"}},
        }
        assert set(ACTION_RULES) <= {f"{m} {p}" for m, p, _ in operations(app_client)}  # the paths are real
        problems, calls = [], 0
        for label, allowed in ACTION_RULES.items():
            method, path = label.split(" ", 1)
            url = path.replace("{code}", code).replace("{document_id}", str(receipt["id"]))
            for role in ROLES:
                response = app_client.request(method, url, headers=login(role), **bodies.get(label, {}))
                calls += 1
                if role == "mot_cua_dl":
                    expected_ok = "{code}" not in path and response.status_code < 400 and code not in response.text
                    if not expected_ok and response.status_code != 404:
                        problems.append(f"other department {label} → {response.status_code}")
                elif role in allowed and response.status_code in (401, 403) or response.status_code >= 500:
                    problems.append(f"{role} {label} → {response.status_code}: {response.text[:120]}")
                elif role not in allowed and (response.status_code != 403
                                              or response.json()["code"] != "role_not_allowed"):
                    problems.append(f"{role} {label} → {response.status_code}, expected 403")
        figures[f"{backend}: role table requests"] += calls
        assert not problems, "\n".join(problems)
        history = [h["step"] for h in app_client.get(f"/api/v1/dossiers/{code}/history",
                                                     headers=login("mot_cua")).json()["items"]]
        assert history.count("rut_ho_so") == 1  # only the desk's withdrawal went through

    def test_reports_follow_the_role_table(self, app_client: TestClient, login: Login) -> None:
        code, _ = setup_dossier(app_client, login)
        day = app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua")).json()["submitted_at"][:10]
        assert set(REPORT_RULES) <= {f"{m} {p}" for m, p, _ in operations(app_client)}  # the paths are real
        problems = []
        for label, allowed in REPORT_RULES.items():
            path = label.split(" ", 1)[1]
            for role in [*ROLES, "giam_sat_tinh"]:
                response = app_client.get(path, headers=login(role), params={"from": day, "to": day})
                if response.status_code != (200 if role in allowed else 403):
                    problems.append(f"{role} {label} → {response.status_code}")
                # The other department's desk keeps its own register: the dossier is not in it.
                if role == "mot_cua_dl" and response.status_code == 200 and path.endswith(".xlsx"):
                    cells = openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
                    if any(code in str(value) for row in cells for value in row if value):
                        problems.append(f"other department {label} lists the dossier")
            if app_client.get(path, params={"from": day, "to": day}).status_code != 401:
                problems.append(f"anonymous {label}")
        assert not problems, "\n".join(problems)

    def test_hand_overs_and_the_audit_trail_follow_the_role_table(self, app_client: TestClient, login: Login) -> None:
        code, task_id = setup_dossier(app_client, login)
        assert set(HANDOVER_RULES) <= {f"{m} {p}" for m, p, _ in operations(app_client)}  # the paths are real
        problems = []
        for label, (allowed, request) in HANDOVER_RULES.items():
            method, path = label.split(" ", 1)
            url = path.replace("{task_id}", task_id).replace("{delegation_id}", "999")
            for role in [*ROLES, "giam_sat_tinh"]:
                response = app_client.request(method, url, headers=login(role), **request)
                status, ok = response.status_code, role in allowed
                if "{task_id}" in path and role in ("mot_cua_dl", "giam_sat_tinh"):
                    ok_status = {"mot_cua_dl": 404, "giam_sat_tinh": 403}[role]
                    if status != ok_status:
                        problems.append(f"{role} {label} → {status}, expected {ok_status}")
                elif ok and status not in {200, 422} | ({404} if "{delegation_id}" in path else set()):
                    problems.append(f"{role} {label} → {status}: {response.text[:120]}")
                elif not ok and status != 403:
                    problems.append(f"{role} {label} → {status}, expected 403")
                if role == "mot_cua_dl" and status < 400 and code in response.text:
                    problems.append(f"other department {label} sees the dossier code")
            if app_client.request(method, url, **request).status_code != 401:
                problems.append(f"anonymous {label}")
        assert not problems, "\n".join(problems)
        refused = app_client.post(f"/api/v1/tasks/{task_id}/reassign", headers=login("lanh_dao_so"),
                                  json=HANDOVER_RULES["POST /api/v1/tasks/{task_id}/reassign"][1]["json"])
        assert refused.status_code == 403 and refused.json()["code"] == "not_this_unit", refused.text

    def test_failed_messages_are_for_administrators_only(self, app_client: TestClient, login: Login) -> None:
        intake = app_client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
            "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "accept": True, "notify_zalo": True,
            "applicant": {"full_name": "Nguyễn Thị Hồng Nhung", "id_number": ID_NUMBER, "phone": PHONE}})
        assert intake.status_code == 201, intake.text  # its receipt waits in the outbox (no relay runs here)
        [receipt] = app_client.get("/api/v1/admin/messages", params={"state": "waiting"},
                                   headers=login("quan_tri")).json()["items"]
        assert set(MESSAGE_ACTIONS) <= {f"{m} {p}" for m, p, _ in operations(app_client)}  # the paths are real
        problems = []
        for label, request in MESSAGE_ACTIONS.items():
            method, path = label.split(" ", 1)
            url = path.replace("{message_id}", str(receipt["id"]))
            for role in ROLES:
                status = app_client.request(method, url, headers=login(role), **request).status_code
                if status != (200 if role == "quan_tri" else 403):
                    problems.append(f"{role} {label} → {status}")
        assert not problems, "\n".join(problems)

    def test_zalo_templates_are_for_administrators_only(self, app_client: TestClient, login: Login) -> None:
        assert administrators_only(app_client, login, TEMPLATE_ACTIONS) == []

    def test_the_oa_grant_is_for_administrators_only(self, app_client: TestClient, login: Login) -> None:
        assert administrators_only(app_client, login, ZALO_ACTIONS) == []
        assert count(app_client, "zalo_grant_request") == 1  # only the administrator's grant was started

    def test_the_officials_roster_is_for_administrators_only(self, app_client: TestClient, login: Login) -> None:
        assert set(OFFICIAL_ACTIONS) <= {f"{m} {p}" for m, p, _ in operations(app_client)}  # the paths are real
        problems = []
        for label, request in OFFICIAL_ACTIONS.items():
            method, path = label.split(" ", 1)
            url = path.replace("{username}", "chuyen_vien_2")
            for role in [*ROLES, "giam_sat_tinh"]:
                status = app_client.request(method, url, headers=login(role), **request).status_code
                if status != (200 if role == "quan_tri" else 403):
                    problems.append(f"{role} {label} → {status}")
            if app_client.request(method, url, **request).status_code != 401:
                problems.append(f"anonymous {label}")
        assert not problems, "\n".join(problems)
        me = app_client.get("/api/v1/me", headers=login("chuyen_vien_2")).json()
        assert me["roles"] == ["CHUYEN_VIEN"]  # only the administrator's change went through

    def test_a_supervisor_cannot_move_the_appointment(self, app_client: TestClient, login: Login) -> None:
        code, _ = setup_dossier(app_client, login)
        url = f"/api/v1/dossiers/{code}"
        due = datetime.fromisoformat(app_client.get(url, headers=login("mot_cua")).json()["due_at"])
        a_year_later = {"reason": "Chưa sắp xếp được lịch thẩm định", "new_due_at": (due + timedelta(days=365))
                        .isoformat()}
        refused = app_client.post(f"{url}/apology", headers=login("giam_sat"), json=a_year_later)
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"] == ("Bạn không có quyền thực hiện thao tác này (cần vai trò: Lãnh đạo "
                                            "phòng chuyên môn, Chuyên viên thụ lý, Lãnh đạo Sở).")
        # The case officer may apologise, but not with a date a year away: at most the procedure's own time.
        too_late = app_client.post(f"{url}/apology", headers=login("chuyen_vien"), json=a_year_later)
        assert too_late.status_code == 422, too_late.text
        error = too_late.json()["errors"][0]
        assert error["field"] == "new_due_at"
        assert re.fullmatch(r"Ngày hẹn mới không được muộn hơn ngày hẹn hiện tại quá \d+ ngày "
                            r"\(thời hạn giải quyết của thủ tục\)\.", error["message"]), error
        assert datetime.fromisoformat(app_client.get(url, headers=login("mot_cua")).json()["due_at"]) == due
        three_days = {**a_year_later, "new_due_at": (due + timedelta(days=3)).isoformat()}
        issued = app_client.post(f"{url}/apology", headers=login("lanh_dao_phong"), json=three_days)
        assert issued.status_code == 200, issued.text
        assert datetime.fromisoformat(issued.json()["due_at"]) == due + timedelta(days=3)
        withdrawn = app_client.post(f"{url}/withdraw", headers=login("chuyen_vien"), json={"reason": "Đơn rút"})
        assert withdrawn.status_code == 403 and "Công chức Bộ phận Một cửa" in withdrawn.json()["detail"]
        revealed = app_client.post(f"{url}/reveal", headers=login("giam_sat"),
                                   json={"reason": "Kiểm tra hồ sơ", "fields": ["id_number", "phone"]})
        assert revealed.status_code == 403 and ID_NUMBER not in revealed.text

    def test_disabled_official_token_stops_at_once(self, app_client: TestClient, login: Login) -> None:
        headers = login("chuyen_vien_2")
        assert app_client.get("/api/v1/me", headers=headers).status_code == 200
        response = app_client.post("/api/v1/officials/chuyen_vien_2/disable", headers=login("quan_tri"), json={})
        assert response.status_code in (200, 204), response.text
        assert app_client.get("/api/v1/me", headers=headers).status_code == 401
        assert app_client.get("/api/v1/tasks", headers=headers).status_code == 401

    def test_public_lookups_need_the_second_factor(self, app_client: TestClient, login: Login) -> None:
        code, _ = setup_dossier(app_client, login)
        name_parts = ("Hồng", "Nhung", PHONE, ID_NUMBER)
        for path, body in (("/api/v1/public/lookup", {"code": code}),
                           ("/api/v1/public/lookup", {"code": code, "verifier": "0000"}),
                           ("/api/v1/public/lookup/by-id", {"id_number": ID_NUMBER}),
                           ("/api/v1/public/lookup/by-id", {"id_number": ID_NUMBER, "phone_last4": "0000"})):
            response = app_client.post(path, json=body)
            assert response.status_code in (404, 422, 429), (path, body, response.text)
            assert code not in response.text and not any(p in response.text for p in name_parts), response.text
        good = app_client.post("/api/v1/public/lookup", json={"code": code, "verifier": PHONE[-4:]})
        assert good.status_code == 200 and code in good.text  # the check above can fail: the factor works
        assert not any(p in good.text for p in name_parts[1:]), good.text  # name masked, numbers absent

    def test_document_verification_is_anyones_and_names_nobody(self, app_client: TestClient,
                                                              login: Login) -> None:
        """`POST /api/v1/public/verify` (issue 24): no login, and for a file we did not issue nothing about
        any dossier; one of our forms is recognised by its bytes, with its code (printed on it) only."""
        code, _ = setup_dossier(app_client, login)
        stranger = app_client.post("/api/v1/public/verify", files={"file": ("x.pdf", PDF, "application/pdf")})
        assert stranger.status_code == 200, stranger.text
        assert (stranger.json()["issued"], stranger.json()["dossier_code"]) == (False, None)
        documents = app_client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
        form = app_client.get(f"/api/v1/dossiers/{code}/documents/{documents[0]['id']}", headers=login("mot_cua"))
        ours = app_client.post("/api/v1/public/verify", files={"file": ("m.pdf", form.content, "application/pdf")})
        assert (ours.json()["issued"], ours.json()["dossier_code"]) == (True, code)
        assert PHONE not in ours.text and ID_NUMBER not in ours.text and "Nguyễn Thị Hồng Nhung" not in ours.text

    def test_webhook_without_a_valid_signature_is_refused(self, app_client: TestClient) -> None:
        before = count(app_client, "zalo_event")
        event = b'{"event_name": "follow", "app_id": "1", "timestamp": "1764000000000", "follower": {"id": "1"}}'
        for headers in ({}, {"X-ZEvent-Signature": "mac=" + "0" * 64}, {"X-ZEvent-Signature": "garbage"}):
            response = app_client.post("/api/v1/zalo/webhook", content=event,
                                       headers={"content-type": "application/json", **headers})
            assert response.status_code in (400, 401, 403), (headers, response.status_code, response.text)
        assert count(app_client, "zalo_event") == before


class TestDataAtRest:
    def test_numbers_encrypted_and_found_by_keyed_hash(self, app_client: TestClient, login: Login) -> None:
        code, _ = setup_dossier(app_client, login)
        with app_client.app.state.wiring.db.connect() as connection:  # type: ignore[attr-defined]
            row = connection.execute(text("SELECT * FROM dossier WHERE code = :c"), {"c": code}).mappings().one()
            dumps = " ".join(" ".join(str(v) for v in r) for table in (
                "dossier", "control_log", "audit_entry", "outbox_message", "process_instance", "work_item")
                for r in connection.execute(text(f"SELECT * FROM {table}")).all())
        assert ID_NUMBER not in dumps and PHONE not in dumps and PHONE[1:] not in dumps
        assert row["applicant_id_enc"] and row["applicant_phone_enc"]
        settings = app_client.app.state.wiring.settings  # type: ignore[attr-defined]
        cipher = PersonalDataCipher.from_settings(settings.crypto)
        assert cipher.decrypt(row["applicant_id_enc"]) == ID_NUMBER  # the key from settings opens it
        other = PersonalDataCipher.from_settings(CryptoSettings(hmac_key="another-hmac-key-for-the-test"))  # type: ignore[arg-type]
        assert row["applicant_id_hash"] not in (None, ID_NUMBER)
        assert row["applicant_id_hash"] == cipher.lookup_hash("id_number", ID_NUMBER)
        assert row["applicant_phone_hash"] == cipher.lookup_hash("phone", PHONE)
        assert other.lookup_hash("id_number", ID_NUMBER) != row["applicant_id_hash"]  # the key matters
        found = app_client.post("/api/v1/dossiers/search-by-id", headers=login("mot_cua"),
                                json={"id_number": ID_NUMBER, "reason": "Kiểm tra hồ sơ trùng"})
        assert found.status_code == 200 and code in found.text, found.text
        # The receipt (Mẫu 01) carries the numbers too: the stored files are encrypted under the data key.
        stored = [p for p in settings.storage.directory.rglob("*") if p.is_file()]
        assert stored and all(p.read_bytes().startswith(MAGIC) for p in stored), stored
        assert all(b"%PDF" not in p.read_bytes() for p in stored)
