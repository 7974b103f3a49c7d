"""Issue 16 item 7 over HTTP, on both databases: every request model of the API (JSON bodies, the login
form, uploads, query and path parameters) is sent every kind of invalid input its schema allows (missing,
extra, wrong type, enum, length, pattern, range, date format, broken JSON), and every task form of every
BPMN is sent every kind of invalid data its JSON schema allows, at the step where it is open. Each refusal
must be 422 `validation_failed` in problem+json, in Vietnamese, naming the field by its label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from field_checks import bad_values, non_null, problems_of
from flows import (
    ACCEPT,
    APPLICANT,
    APPRAISE_OK,
    ASSIGN,
    INSPECT,
    ISSUE,
    RETURN,
    REVIEW_OK,
    SIGN,
    Login,
    current_step,
    do,
    dossier,
    intake,
    step_user,
)
from lxml import etree

from workflows.dossiers.statuses import SubStatus

# Backend-independent (the HTTP contract, no query of its own): on PostgreSQL, the production database, only.
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
pytestmark = ON_POSTGRESQL

USERS = ("quan_tri", "mot_cua", "lanh_dao_phong", "chuyen_vien", "lanh_dao_so", "van_thu", "giam_sat")
PATH_SAMPLES = {"integer": "1", "string": "H60.22-261124-0001"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _url(path: str, op: dict[str, Any], override: dict[str, str] | None = None) -> str:
    for param in op.get("parameters", []):
        if param["in"] == "path":
            sample = PATH_SAMPLES.get(non_null(param["schema"]).get("type", "string"), "x")
            path = path.replace("{" + param["name"] + "}", (override or {}).get(param["name"], sample))
    return path


def _body_variants(spec: dict[str, Any], schema: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
    """(what, field expected in errors, JSON body) for one request model, nested models one level down."""
    schema = _resolve(spec, schema)
    out: list[tuple[str, str | None, Any]] = [("not an object", "body", ["x"])]
    if schema.get("required"):
        out.append(("missing", schema["required"][0], {}))
    if schema.get("additionalProperties") is False:
        out.append(("extra", "khong_co_truong", {"khong_co_truong": 1}))
    for name, sub in schema.get("properties", {}).items():
        sub = _resolve(spec, non_null(sub))
        out += [(f"{name}: {kind}", name, {name: value}) for kind, value in bad_values(sub)]
        nested = _resolve(spec, non_null(sub.get("items", {}))) if sub.get("type") == "array" else sub
        for inner, inner_schema in nested.get("properties", {}).items():
            for kind, value in bad_values(_resolve(spec, inner_schema)):
                body = {name: [{inner: value}]} if sub.get("type") == "array" else {name: {inner: value}}
                field = f"{name}.0.{inner}" if sub.get("type") == "array" else f"{name}.{inner}"
                out.append((f"{field}: {kind}", field, body))
    return out


class TestRequestModels:
    def test_every_kind_of_invalid_input_is_refused_in_vietnamese(
        self, app_client: TestClient, login: Login
    ) -> None:
        spec = app_client.get("/openapi.json").json()
        problems: list[str] = []
        sent = 0
        for method, path, op in _operations(spec):
            headers = _headers_reaching_validation(app_client, login, method, path, op)
            for what, field, kwargs in _requests(spec, op):
                url = _url(path, op, kwargs.pop("path", None))
                response = app_client.request(method, url, headers={**headers, **kwargs.pop("headers", {})},
                                              **kwargs)
                sent += 1
                found = problems_of(response, what=f"{method.upper()} {path} {what}")
                if not found and field is not None:
                    found = _names_field(response.json(), field, what=f"{method.upper()} {path} {what}")
                problems += found
        assert sent > 300, sent
        assert not problems, "\n".join(problems)

    def test_the_id_number_is_reported_on_the_id_number(self, app_client: TestClient, login: Login) -> None:
        body = {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True,
                "applicant": {**APPLICANT, "id_number": "12345"}}
        response = app_client.post("/api/v1/dossiers", json=body, headers=login("mot_cua"))
        assert response.status_code == 422 and response.json()["code"] == "validation_failed"
        assert response.json()["errors"] == [{
            "field": "applicant.id_number",
            "message": "Số định danh cá nhân/CCCD của người nộp: phải gồm 12 chữ số (hoặc 9 chữ số với CMND cũ).",
        }]
        body["applicant"] = {**APPLICANT, "phone": "12345"}
        response = app_client.post("/api/v1/dossiers", json=body, headers=login("mot_cua"))
        assert response.json()["errors"] == [{
            "field": "applicant.phone",
            "message": "Số điện thoại của người nộp: không phải số điện thoại Việt Nam hợp lệ (di động 10 chữ số, "
                       "cố định 11 chữ số).",
        }]

    def test_exact_words_of_each_kind(self, app_client: TestClient, login: Login) -> None:
        headers = login("mot_cua")
        response = app_client.post("/api/v1/dossiers", headers=headers, json={
            "procedure_code": "", "channel": "ok", "applicant": {"full_name": "A" * 300, "email": "khong"},
            "documents": [{"name": "Đơn", "count": "hai"}], "thua": 1})
        assert response.json()["errors"] == [
            {"field": "procedure_code", "message": "Mã thủ tục: không được để trống."},
            {"field": "channel", "message": "Kênh nộp hồ sơ: giá trị không hợp lệ; chọn một trong: “counter”, "
                                            "“online”, “post”."},
            {"field": "applicant.full_name", "message": "Họ và tên người nộp: không được dài quá 255 ký tự."},
            {"field": "applicant.email", "message": "Thư điện tử: không đúng định dạng."},
            {"field": "documents.0.count", "message": "Số lượng (mục 1): phải là số nguyên."},
            {"field": "thua", "message": "Trường “thua”: không thuộc biểu mẫu này."},
        ]
        broken = app_client.post("/api/v1/dossiers", headers={**headers, "Content-Type": "application/json"},
                                 content=b'{"procedure_code": ')
        assert broken.json()["errors"] == [
            {"field": "body", "message": "Dữ liệu gửi lên: không phải JSON hợp lệ."}]
        missing = app_client.post("/api/v1/dossiers", headers=headers, json={})
        assert missing.json()["errors"][0] == {"field": "procedure_code",
                                               "message": "Mã thủ tục: bắt buộc, chưa được nhập."}
        query = app_client.get("/api/v1/dossiers?page=0&page_size=abc", headers=headers)
        assert query.json()["errors"] == [
            {"field": "page", "message": "Trang: phải lớn hơn hoặc bằng 1."},
            {"field": "page_size", "message": "Số dòng mỗi trang: phải là số nguyên."},
        ]
        statuses = ", ".join(f"“{status.value}”" for status in SubStatus)
        for path in ("/api/v1/tasks", "/api/v1/tasks/counts", "/api/v1/dossiers"):
            unknown = app_client.get(f"{path}?status=DANG_XU_LY", headers=headers)  # a name, not a sub-status
            assert unknown.status_code == 422, (path, unknown.text)
            assert unknown.json()["errors"] == [
                {"field": "status", "message": f"Trạng thái: giá trị không hợp lệ; chọn một trong: {statuses}."}]
            assert app_client.get(f"{path}?status=", headers=headers).status_code == 200, path  # no filter


def _headers_reaching_validation(
    client: TestClient, login: Login, method: str, path: str, op: dict[str, Any]
) -> dict[str, str]:
    """The first demo official (or nobody), then the national portal's adapter key, whose request gets past
    authentication and roles."""
    for user in (None, *USERS, "adapter"):
        headers = _adapter_key(client, login) if user == "adapter" else login(user) if user else {}
        response = client.request(method, _url(path, op), headers=headers, content=b"{",
                                  params={"page": "x"})
        if response.status_code not in (401, 403):
            return headers
    return {}


def _adapter_key(client: TestClient, login: Login) -> dict[str, str]:
    """An API key with the scope the DVCQG adapter's push routes require (no official holds it)."""
    created = client.post("/api/v1/api-keys", headers=login("quan_tri"), json={
        "name": "Bộ chuyển đổi DVCQG", "scopes": ["dvcqg.push"], "department_code": "PHONG_QLVH"})
    assert created.status_code == 201, created.text
    return {"X-API-Key": str(created.json()["secret"])}


def _requests(spec: dict[str, Any], op: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(what, field, request kwargs) of every invalid request for the operation."""
    out: list[tuple[str, str | None, dict[str, Any]]] = []
    for param in op.get("parameters", []):
        schema = non_null(param["schema"])
        for kind, value in bad_values(schema):
            if param["in"] == "query" and not (kind == "type" and schema.get("type") == "string"):
                out.append((f"?{param['name']}: {kind}", param["name"], {"params": {param["name"]: str(value)}}))
            elif param["in"] == "path" and schema.get("type") != "string" and kind == "type":
                out.append((f"/{param['name']}: {kind}", param["name"], {"path": {param["name"]: str(value)}}))
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        out.append(("broken JSON", "body", {"content": b'{"a": ', "headers": {"Content-Type": "application/json"}}))
        out += [(what, field, {"json": body})
                for what, field, body in _body_variants(spec, content["application/json"]["schema"])]
    for form in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if form in content:
            schema = _resolve(spec, content[form]["schema"])
            out.append(("empty form", schema.get("required", [None])[0], {"data": {}}))
    return out


def _names_field(body: dict[str, Any], field: str, *, what: str) -> list[str]:
    errors = {e["field"]: e["message"] for e in body["errors"]}
    if field not in errors and not any(f.startswith(field + ".") for f in errors):
        return [f"{what}: {field} not among {sorted(errors)}"]
    message = errors.get(field, "")
    if message.startswith("Trường “") and "không thuộc biểu mẫu" not in message:
        return [f"{what}: {field} has no label: {message}"]
    return []


# --- task forms ---------------------------------------------------------------------------------------------

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def forms_in_bpmn(name: str) -> dict[str, dict[str, Any]]:
    """Every user task's form schema in bpmn/<name>.bpmn, read from the file itself."""
    root = etree.parse(str(BPMN_DIR / f"{name}.bpmn"))
    forms = {}
    for prop in root.iter(f"{SPIFF}property"):
        if prop.get("name") == "formJsonSchema":
            task = prop.getparent().getparent().getparent()
            forms[str(task.get("id"))] = json.loads(str(prop.get("value")))
    return forms


def form_variants(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(what, field, data) of every invalid form the schema allows to make."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    required = schema.get("required", [])
    if required:
        out.append(("missing", required[0], {}))
    if schema.get("additionalProperties") is False:
        out.append(("extra", "khong_co_truong", {"khong_co_truong": "x"}))
    for name, sub in schema.get("properties", {}).items():
        for kind, value in bad_values(sub):
            field = f"{name}.0" if kind.startswith("item") else name
            out.append((f"{name}: {kind}", field, {name: value}))
    return out


def check_form(client: TestClient, url: str, headers: dict[str, str], schema: dict[str, Any], *,
               task: str) -> list[str]:
    """Send every invalid variant of the task's form; a label must open each message of a field."""
    problems = []
    titles = {name: sub.get("title") for name, sub in schema.get("properties", {}).items()}
    for what, field, data in form_variants(schema):
        response = client.post(url, json={"data": data}, headers=headers)
        found = problems_of(response, what=f"{task} {what}")
        if not found:
            errors = {e["field"]: e["message"] for e in response.json()["errors"]}
            base = field.split(".")[0]
            message = errors.get(field, "")
            if field not in errors:
                found = [f"{task} {what}: {field} not among {errors}"]
            elif base in titles and field == base and not message.startswith(f"{titles[base]}: "):
                found = [f"{task} {what}: {message!r} does not name {titles[base]!r}"]
        problems += found
    return problems


SUPPLEMENT = {"quyet_dinh": "bo_sung", "ly_do": "Thiếu giấy tờ", "giay_to_thieu": ["Văn bản nghiệm thu PCCC"]}
WALK = [("tiep_nhan", SUPPLEMENT), ("nhan_bo_sung", {"da_bo_sung": True}), ("tiep_nhan", ACCEPT),
        ("phan_cong", ASSIGN), ("kiem_tra_thuc_te", INSPECT), ("tham_dinh", APPRAISE_OK),
        ("thu_phi", {"da_nop": True, "so_bien_lai": "BL-0001"}), ("xem_xet", REVIEW_OK), ("ky_duyet", SIGN),
        ("phat_hanh", ISSUE), ("tra_ket_qua", RETURN)]
FEEDBACK_WALK = [("mot_cua", "tiep_nhan_pakn", {"phan_loai": "ho_so"}),
                 ("lanh_dao_phong", "phan_cong_pakn", {"chuyen_vien": "chuyen_vien"}),
                 ("chuyen_vien", "tra_loi_pakn", {"tra_loi": "Sở đã kiểm tra và trả lời ông/bà."})]


class TestTaskForms:
    def test_every_form_of_the_dossier_processes(self, app_client: TestClient, login: Login) -> None:
        catalogue = app_client.get("/api/v1/procedures", headers=login("mot_cua")).json()["items"]
        details = [app_client.get(f"/api/v1/procedures/{p['code']}", headers=login("mot_cua")).json()
                   for p in catalogue]
        problems: list[str] = []
        seen: list[dict[str, Any]] = []
        missed: dict[str, list[dict[str, Any]]] = {}
        for key in ("karaoke_vu_truong", "mot_cua_chuan"):
            forms = forms_in_bpmn(key)
            covered: set[str] = set()
            # Procedures of this process until every form was open once (site inspection, fees differ).
            for procedure in sorted((d for d in details if d["process_key"] == key), reverse=True,
                                    key=lambda d: (d["requires_site_inspection"], d["has_financial_obligation"])):
                if covered == set(forms):
                    break
                problems += self._walk(app_client, login, procedure["code"], forms, covered, key=key)
            seen += [forms[step] for step in covered]
            missed[key] = [forms[step] for step in set(forms) - covered]
        # No seeded procedure of karaoke_vu_truong has fees: its thu_phi form is the one checked in mot_cua_chuan.
        assert all(form in seen for forms in missed.values() for form in forms), missed
        assert not problems, "\n".join(problems)

    @staticmethod
    def _walk(client: TestClient, login: Login, procedure: str, forms: dict[str, dict[str, Any]],
              covered: set[str], *, key: str) -> list[str]:
        """One dossier through every step; each form not yet covered gets every invalid variant first."""
        code = intake(client, login, procedure=procedure)["code"]
        problems: list[str] = []
        for step, data in WALK:
            current = current_step(client, login, code)
            if current["step"] != step:
                continue
            if step not in covered:
                headers = login(step_user(dossier(client, login, code), current))
                url = f"/api/v1/tasks/{current['task_id']}/complete"
                problems += check_form(client, url, headers, forms[step], task=f"{key}/{step}")
                covered.add(step)
            do(client, login, code, step, data)
        return problems

    def test_every_form_of_the_feedback_process(self, app_client: TestClient, login: Login) -> None:
        forms = forms_in_bpmn("phan_anh_kien_nghi")
        code = app_client.post("/api/v1/public/feedback", json={
            "category": "ho_so", "content": "Hồ sơ của tôi đã quá hẹn nhưng chưa có thông báo.",
            "contact_name": "Nguyễn Văn An", "contact_phone": "0912345678"}).json()["code"]
        problems: list[str] = []
        for user, step, data in FEEDBACK_WALK:
            headers = login(user)
            [task] = app_client.get(f"/api/v1/feedback/{code}", headers=headers).json()["open_tasks"]
            url = f"/api/v1/feedback/{code}/tasks/{task['id']}/complete"
            problems += check_form(app_client, url, headers, forms[step], task=f"phan_anh_kien_nghi/{step}")
            assert app_client.post(url, json={"data": data}, headers=headers).status_code == 200
        assert [step for _, step, _ in FEEDBACK_WALK] == list(forms)
        assert not problems, "\n".join(problems)

    def test_exact_words_of_a_form(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login)["code"]
        current = current_step(app_client, login, code)
        response = app_client.post(f"/api/v1/tasks/{current['task_id']}/complete", headers=login("mot_cua"),
                                   json={"data": {"quyet_dinh": "ok", "giay_to_thieu": [""], "ghi": 1}})
        assert response.json()["code"] == "validation_failed"
        assert response.json()["errors"] == [
            {"field": "quyet_dinh", "message": "Kết quả kiểm tra hồ sơ: giá trị không hợp lệ; chọn một trong: "
                                               "“Hồ sơ đầy đủ, hợp lệ: tiếp nhận”, “Hồ sơ chưa đầy đủ: hướng dẫn "
                                               "bổ sung (Mẫu 02)”, “Từ chối tiếp nhận (Mẫu 03)”."},
            {"field": "giay_to_thieu.0", "message": "Tên giấy tờ (mục 1): không được để trống."},
            {"field": "ghi", "message": "Trường “ghi”: không thuộc biểu mẫu này."},
        ]
        response = app_client.post(f"/api/v1/tasks/{current['task_id']}/complete", headers=login("mot_cua"),
                                   json={"data": {"quyet_dinh": "bo_sung"}})
        assert response.json()["errors"] == [
            {"field": "ly_do", "message": "Lý do: bắt buộc, chưa được nhập."},
            {"field": "giay_to_thieu", "message": "Giấy tờ cần bổ sung, hoàn thiện: bắt buộc, chưa được nhập."},
        ]
