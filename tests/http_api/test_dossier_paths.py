"""Every path of the BPMN library through the engine and the API: statuses, clock rules, forms, control log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from flows import (
    ACCEPT,
    APPRAISE_OK,
    ASSIGN,
    INSPECT,
    ISSUE,
    RETURN,
    REVIEW_OK,
    SIGN,
    Login,
    do,
    dossier,
    forms_of,
    history_steps,
    intake,
)

from workflows.core.clock import ManualClock

SEEDED = ["VHTTDL-KARAOKE", "VHTTDL-VU-TRUONG", "VHTTDL-LU-HANH-NOI-DIA", "VHTTDL-LUU-TRU-1-3-SAO",
          "VHTTDL-BIEU-DIEN-NGHE-THUAT", "VHTTDL-LE-HOI-CAP-TINH", "VHTTDL-THE-THAO-QUAN-VOT",
          "VHTTDL-THE-HDV-NOI-DIA"]


def run_to_result(client: TestClient, login: Login, code: str, procedure: dict) -> None:  # type: ignore[type-arg]
    do(client, login, code, "tiep_nhan", ACCEPT)
    do(client, login, code, "phan_cong", ASSIGN)
    if procedure["requires_site_inspection"]:
        do(client, login, code, "kiem_tra_thuc_te", INSPECT)
    do(client, login, code, "tham_dinh", APPRAISE_OK)
    if procedure["has_financial_obligation"]:
        assert dossier(client, login, code)["national_status"] == 6
        do(client, login, code, "thu_phi", {"da_nop": True, "so_bien_lai": "BL-0001"})
    do(client, login, code, "xem_xet", REVIEW_OK)
    do(client, login, code, "ky_duyet", SIGN)
    do(client, login, code, "phat_hanh", ISSUE)
    assert dossier(client, login, code)["national_status"] == 9
    do(client, login, code, "tra_ket_qua", RETURN)


class TestEverySeededProcedure:
    def test_each_procedure_reaches_returned_result(self, app_client: TestClient, login: Login) -> None:
        catalogue = app_client.get("/api/v1/procedures", headers=login("mot_cua")).json()["items"]
        by_code = {p["code"]: p for p in catalogue}
        assert set(SEEDED) <= set(by_code), sorted(by_code)
        for code in SEEDED:
            detail = app_client.get(f"/api/v1/procedures/{code}", headers=login("mot_cua")).json()
            created = intake(app_client, login, procedure=code)
            run_to_result(app_client, login, created["code"], detail)
            final = dossier(app_client, login, created["code"])
            assert (final["status"], final["national_status"]) == ("DA_TRA_KET_QUA", 10), code
            assert final["lateness"] in ("truoc_han", "dung_han"), code
            steps = history_steps(app_client, login, created["code"])
            assert steps[0] == "nop_ho_so" and steps[-1] == "tra_ket_qua", (code, steps)
            assert "MAU_01" in forms_of(app_client, login, created["code"])


class TestReceptionPaths:
    def test_supplement_at_the_desk_then_accepted(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login)["code"]
        do(app_client, login, code, "tiep_nhan", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu giấy tờ",
                                                  "giay_to_thieu": ["Văn bản nghiệm thu PCCC"]})
        waiting = dossier(app_client, login, code)
        assert (waiting["national_status"], waiting["due_at"], waiting["supplement_count"]) == (5, None, 0)
        do(app_client, login, code, "nhan_bo_sung", {"da_bo_sung": True})
        do(app_client, login, code, "tiep_nhan", ACCEPT)
        accepted = dossier(app_client, login, code)
        assert accepted["due_at"] is not None and accepted["supplement_count"] == 0
        assert forms_of(app_client, login, code) == ["MAU_02", "MAU_01"]

    def test_refused_at_the_desk(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login)["code"]
        do(app_client, login, code, "tiep_nhan", {"quyet_dinh": "tu_choi", "ly_do": "Không thuộc thẩm quyền"})
        final = dossier(app_client, login, code)
        assert (final["status"], final["national_status"], final["current_steps"]) == ("KHONG_TIEP_NHAN", 3, [])
        assert forms_of(app_client, login, code) == ["MAU_03"]

    def test_refusal_needs_a_reason(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login)["code"]
        response = do(app_client, login, code, "tiep_nhan", {"quyet_dinh": "tu_choi"}, expect=422)
        assert response["errors"][0]["field"] == "ly_do"


class TestAfterAcceptance:
    def test_supplement_pauses_the_clock_and_a_second_one_needs_a_reason(
        self, app_client: TestClient, login: Login, clock: ManualClock
    ) -> None:
        code = intake(app_client, login, procedure="VHTTDL-KARAOKE")["code"]
        do(app_client, login, code, "tiep_nhan", ACCEPT)
        due = dossier(app_client, login, code)["due_at"]
        do(app_client, login, code, "phan_cong", ASSIGN)
        do(app_client, login, code, "kiem_tra_thuc_te", INSPECT)
        do(app_client, login, code, "tham_dinh", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu bản vẽ",
                                                  "noi_dung_bo_sung": "Bản vẽ mặt bằng phòng hát"})
        assert dossier(app_client, login, code)["national_status"] == 5
        clock.advance(timedelta(days=7))  # the citizen takes a week (5 working days) to supplement
        do(app_client, login, code, "nhan_bo_sung", {"da_bo_sung": True})
        resumed = dossier(app_client, login, code)
        assert resumed["due_at"] > due, "pause policy: the time spent supplementing is added back"
        assert resumed["supplement_count"] == 1 and not resumed["counted_late"]
        refused = do(app_client, login, code, "tham_dinh", {"quyet_dinh": "bo_sung", "ly_do": "Lại thiếu",
                                                            "noi_dung_bo_sung": "Bản vẽ"}, expect=422)
        assert refused["errors"][0]["field"] == "ly_do_bo_sung_lan_2"
        do(app_client, login, code, "tham_dinh", {"quyet_dinh": "bo_sung", "ly_do": "Lại thiếu",
                                                  "noi_dung_bo_sung": "Bản vẽ đúng tỉ lệ 1:100",
                                                  "ly_do_bo_sung_lan_2": "Bản vẽ bổ sung sai tỉ lệ"})
        second = dossier(app_client, login, code)
        assert second["supplement_count"] == 2
        do(app_client, login, code, "nhan_bo_sung", {"da_bo_sung": True})
        do(app_client, login, code, "tham_dinh", APPRAISE_OK)
        for step, data in (("xem_xet", REVIEW_OK), ("ky_duyet", SIGN), ("phat_hanh", ISSUE)):
            do(app_client, login, code, step, data)
        final = dossier(app_client, login, code)
        assert final["counted_late"] and final["lateness"] == "qua_han", "QĐ 766: two supplements count late"

    def test_refusal_after_appraisal(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login, procedure="VHTTDL-LU-HANH-NOI-DIA")["code"]
        do(app_client, login, code, "tiep_nhan", ACCEPT)
        do(app_client, login, code, "phan_cong", ASSIGN)
        do(app_client, login, code, "tham_dinh", {"quyet_dinh": "tu_choi", "ly_do": "Chưa ký quỹ"})
        assert dossier(app_client, login, code)["status"] == "TU_CHOI_GIAI_QUYET"
        do(app_client, login, code, "tra_ket_qua", RETURN)
        final = dossier(app_client, login, code)
        assert (final["national_status"], final["current_steps"]) == (8, [])
        assert "MAU_03" in forms_of(app_client, login, code)

    def test_review_returns_to_appraisal(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login, procedure="VHTTDL-LU-HANH-NOI-DIA")["code"]
        for step, data in (("tiep_nhan", ACCEPT), ("phan_cong", ASSIGN), ("tham_dinh", APPRAISE_OK)):
            do(app_client, login, code, step, data)
        do(app_client, login, code, "xem_xet", {"quyet_dinh": "tra_lai", "y_kien": "Xem lại điều kiện ký quỹ"})
        current = dossier(app_client, login, code)["current_steps"][0]
        # The tourism division handles it (the procedure's competence): back to its case officer.
        assert (current["step"], current["assignee"]) == ("tham_dinh", "chuyen_vien_dl")

    def test_withdrawal_stops_the_dossier(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login)["code"]
        do(app_client, login, code, "tiep_nhan", ACCEPT)
        do(app_client, login, code, "phan_cong", ASSIGN)
        response = app_client.post(f"/api/v1/dossiers/{code}/withdraw", json={"reason": "Công dân có đơn rút"},
                                   headers=login("mot_cua"))
        assert response.status_code == 200, response.text
        final = response.json()
        assert (final["status"], final["national_status"], final["current_steps"]) == ("DUNG_XU_LY", 8, [])
        assert "MAU_05" in forms_of(app_client, login, code)
        assert history_steps(app_client, login, code)[-1] == "rut_ho_so"
        again = app_client.post(f"/api/v1/dossiers/{code}/withdraw", json={"reason": "Lần nữa"},
                                headers=login("mot_cua"))
        assert again.status_code == 409


class TestCounterIntake:
    def test_accept_at_once_gives_receipt_and_appointment(self, app_client: TestClient, login: Login) -> None:
        created = intake(app_client, login, accept=True)
        assert created["accepted_at"] is not None and created["due_at"] is not None
        assert created["current_steps"][0]["step"] == "phan_cong"
        assert forms_of(app_client, login, created["code"]) == ["MAU_01"]


@pytest.mark.parametrize("procedure", ["VHTTDL-KHONG-CO"])
def test_unknown_procedure_is_refused(app_client: TestClient, login: Login, procedure: str) -> None:
    response = app_client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": procedure, "applicant": {"full_name": "Trần Văn B"}})
    assert response.status_code == 404
    assert response.json()["detail"]


class TestCitizenDocuments:
    def test_forms_behind_the_second_factor(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login, accept=True)["code"]
        refused = app_client.post("/api/v1/public/documents", json={"code": code, "verifier": "0000"})
        assert refused.status_code == 404 and refused.json()["code"] == "lookup_not_found"
        listed = app_client.post("/api/v1/public/documents", json={"code": code, "verifier": "5678"})
        assert listed.status_code == 200, listed.text
        [receipt] = listed.json()["items"]
        assert receipt["form_code"] == "MAU_01"
        pdf = app_client.post(f"/api/v1/public/documents/{receipt['id']}", json={"code": code, "verifier": "5678"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        wrong = app_client.post(f"/api/v1/public/documents/{receipt['id']}", json={"code": code, "verifier": "1234"})
        assert wrong.status_code == 404


class TestFormsOnRequest:
    def test_control_slip_and_register(self, app_client: TestClient, login: Login) -> None:
        from io import BytesIO

        from pypdf import PdfReader

        code = intake(app_client, login, accept=True)["code"]
        do(app_client, login, code, "phan_cong", ASSIGN)
        slip = app_client.post(f"/api/v1/dossiers/{code}/control-slip", headers=login("mot_cua"))
        assert slip.status_code == 201, slip.text
        pdf = app_client.get(f"/api/v1/dossiers/{code}/documents/{slip.json()['id']}", headers=login("mot_cua"))
        text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
        assert "PHIẾU KIỂM SOÁT" in text.upper() and code in text

        register = app_client.get("/api/v1/registers/mau-07", params={"from": "2026-11-01", "to": "2026-11-30"},
                                  headers=login("giam_sat"))
        assert register.status_code == 200, register.text
        text = "".join(page.extract_text() for page in PdfReader(BytesIO(register.content)).pages)
        assert code in text and "Nguyễn Thị Hồng Nhung" in text and "0912345678" not in text
        other = app_client.get("/api/v1/registers/mau-07", params={"from": "2026-11-01", "to": "2026-11-30"},
                               headers=login("mot_cua_dl"))
        assert code not in "".join(p.extract_text() for p in PdfReader(BytesIO(other.content)).pages)
        forbidden = app_client.get("/api/v1/registers/mau-07", params={"from": "2026-11-01", "to": "2026-11-30"},
                                   headers=login("chuyen_vien"))
        assert forbidden.status_code == 403


class TestAdministration:
    def test_procedure_edit_makes_a_new_version_and_new_dossiers_use_it(
        self, app_client: TestClient, login: Login
    ) -> None:
        before = intake(app_client, login, accept=True)
        edit = app_client.put("/api/v1/admin/procedures/VHTTDL-KARAOKE", headers=login("quan_tri"), json={
            "changes": {"time_limit": {"value": 7}}, "reason": "Quyết định công bố thời hạn mới"})
        assert edit.status_code == 200, edit.text
        assert edit.json()["time_limit"]["value"] == 7
        after = intake(app_client, login, accept=True)
        assert after["due_at"] > before["due_at"], "the new version's limit applies to new dossiers"
        too_short = app_client.put("/api/v1/admin/procedures/VHTTDL-KARAOKE", headers=login("quan_tri"), json={
            "changes": {"time_limit": {"value": 3}}, "reason": "Ngắn hơn tổng thời gian các bước"})
        assert too_short.status_code == 422, "the internal process must fit in the time limit"
        assert dossier(app_client, login, before["code"])["due_at"] == before["due_at"], "frozen version"
        denied = app_client.put("/api/v1/admin/procedures/VHTTDL-KARAOKE", headers=login("mot_cua"),
                                json={"changes": {}, "reason": "không có quyền"})
        assert denied.status_code == 403

    def test_calendar_day_off_moves_new_appointments(self, app_client: TestClient, login: Login) -> None:
        before = intake(app_client, login, accept=True)["due_at"]
        response = app_client.put("/api/v1/admin/calendar/days/2026-11-25", headers=login("quan_tri"),
                                  json={"kind": "HOLIDAY", "legal_ref": "Quyết định nghỉ do bão số 12"})
        assert response.status_code == 200, response.text
        after = intake(app_client, login, accept=True)["due_at"]
        assert after > before


class TestIncidents:
    def test_a_failing_step_becomes_an_incident_that_an_administrator_retries(
        self, app_client: TestClient, login: Login, settings: object
    ) -> None:
        import shutil

        store = settings.storage.directory  # type: ignore[attr-defined]
        shutil.rmtree(store, ignore_errors=True)
        store.write_text("not a directory")  # the document store is broken: rendering Mẫu 01 fails
        response = app_client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
            "procedure_code": "VHTTDL-KARAOKE", "applicant": {"full_name": "Đỗ Văn Hải"}, "accept": True})
        assert response.status_code == 201, response.text  # never a 500: the dossier is kept
        code = response.json()["code"]
        incident = dossier(app_client, login, code)["incident"]
        assert incident and incident["element_id"] == "mau_01", incident
        assert app_client.get("/api/v1/incidents", headers=login("mot_cua")).status_code == 403
        listed = app_client.get("/api/v1/incidents", headers=login("quan_tri")).json()["items"]
        assert [(i["dossier_code"], i["element_id"]) for i in listed] == [(code, "mau_01")]
        assert listed[0]["reason"]

        store.unlink()  # fixed
        retried = app_client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=login("quan_tri"))
        assert retried.status_code == 200, retried.text
        after = dossier(app_client, login, code)
        assert after["incident"] is None
        assert [s["step"] for s in after["current_steps"]] == ["phan_cong"]
        assert forms_of(app_client, login, code) == ["MAU_01"]
        assert app_client.get("/api/v1/incidents", headers=login("quan_tri")).json()["items"] == []


class TestAttachments:
    def test_upload_download_and_limits(self, app_client: TestClient, login: Login) -> None:
        import hashlib

        code = intake(app_client, login)["code"]
        pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
        url = f"/api/v1/dossiers/{code}/documents"
        uploaded = app_client.post(url, headers=login("mot_cua"), data={"note": "Đơn đề nghị"},
                                   files={"file": ("don-de-nghi.pdf", pdf, "application/pdf")})
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["sha256"] == hashlib.sha256(pdf).hexdigest()
        back = app_client.get(f"{url}/{uploaded.json()['id']}", headers=login("chuyen_vien"))
        assert back.status_code == 200 and back.content == pdf
        fake = app_client.post(url, headers=login("mot_cua"),
                               files={"file": ("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
        assert fake.status_code == 422 and fake.headers["content-type"].startswith("application/problem+json")
        exe = app_client.post(url, headers=login("mot_cua"),
                              files={"file": ("a.exe", b"MZ", "application/x-msdownload")})
        assert exe.status_code == 422
        big = app_client.post(url, headers=login("mot_cua"),
                              files={"file": ("big.pdf", pdf + b"0" * (21 * 1024 * 1024), "application/pdf")})
        assert big.status_code == 413
        listed = app_client.get(url, headers=login("mot_cua")).json()["items"]
        assert [d["filename"] for d in listed if d["kind"] == "upload"] == ["don-de-nghi.pdf"]
        other = app_client.get(f"{url}/{uploaded.json()['id']}", headers=login("mot_cua_dl"))
        assert other.status_code == 404


class TestIntegrations:
    def test_the_national_portal_files_a_dossier_with_an_api_key(self, app_client: TestClient, login: Login) -> None:
        created = app_client.post("/api/v1/api-keys", headers=login("quan_tri"), json={
            "name": "Cổng Dịch vụ công quốc gia", "scopes": ["dossiers:write"], "department_code": None})
        assert created.status_code == 201, created.text
        key = {"X-API-Key": created.json()["secret"]}
        body = {"procedure_code": "VHTTDL-LU-HANH-NOI-DIA", "channel": "online",
                "applicant": {"full_name": "Công ty TNHH Du lịch Na Hang", "phone": "0988777666"}}
        missing = app_client.post("/api/v1/dossiers", headers=key, json=body)
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "department_code"
        filed = app_client.post("/api/v1/dossiers", headers=key, json={**body, "department_code": "PHONG_QLVH"})
        assert filed.status_code == 201, filed.text
        assert filed.json()["national_status"] == 1  # online: waits for the desk's check
        assert filed.json()["current_steps"][0]["step"] == "tiep_nhan"
        read_only = app_client.post("/api/v1/api-keys", headers=login("quan_tri"), json={
            "name": "Thống kê", "scopes": ["dossiers:read"], "department_code": None})
        denied = app_client.post("/api/v1/dossiers", headers={"X-API-Key": read_only.json()["secret"]},
                                 json={**body, "department_code": "PHONG_QLVH"})
        assert denied.status_code == 403


class TestProcessDefinitions:
    def test_deploy_versions_and_refusals(self, app_client: TestClient, login: Login) -> None:
        from pathlib import Path

        source = (Path(__file__).resolve().parents[2] / "bpmn" / "mot_cua_chuan.bpmn").read_bytes()
        url = "/api/v1/process-definitions"
        same = app_client.post(url, headers=login("quan_tri"), files={"file": ("mot_cua_chuan.bpmn", source)})
        assert same.status_code == 200 and same.json()["version"] == 1
        changed = source.replace('name="Thẩm định hồ sơ"'.encode(), 'name="Thẩm định hồ sơ (sửa)"'.encode(), 1)
        assert changed != source
        new = app_client.post(url, headers=login("quan_tri"), files={"file": ("mot_cua_chuan.bpmn", changed)})
        assert new.status_code == 201 and new.json()["version"] == 2
        broken = source.replace(b'id="zalo/notify"', b'id="zalo/unknown"', 1)
        refused = app_client.post(url, headers=login("quan_tri"), files={"file": ("broken.bpmn", broken)})
        assert refused.status_code == 422
        assert any(e["field"] for e in refused.json()["errors"]), refused.json()
        assert app_client.post(url, headers=login("mot_cua"), files={"file": ("x.bpmn", source)}).status_code == 403
        xml = app_client.get(f"{url}/mot_cua_chuan/versions/2/xml", headers=login("quan_tri"))
        assert xml.status_code == 200 and "Thẩm định hồ sơ (sửa)" in xml.text


class TestStatistics:
    def test_on_time_rates_by_the_766_formula(self, app_client: TestClient, login: Login, clock: ManualClock) -> None:
        from datetime import timedelta as td

        fast = intake(app_client, login, accept=True)["code"]
        for step, data in (("phan_cong", ASSIGN), ("kiem_tra_thuc_te", INSPECT), ("tham_dinh", APPRAISE_OK),
                           ("xem_xet", REVIEW_OK), ("ky_duyet", SIGN), ("phat_hanh", ISSUE)):
            do(app_client, login, fast, step, data)
        slow = intake(app_client, login, accept=True)["code"]
        intake(app_client, login)  # still at reception: the clock has not started
        clock.advance(td(days=10))  # the slow one is now past its appointment (5 working days)
        response = app_client.get("/api/v1/registers/statistics", params={"from": "2026-11-01", "to": "2026-12-31"},
                                  headers=login("giam_sat"))
        assert response.status_code == 200, response.text
        [row] = response.json()["rows"]
        assert row["received"] == 3
        assert row["finished_early"] == 1 and row["in_progress_late"] == 1 and row["in_progress_on_time"] == 1
        assert row["on_time_rate"] == round(100 * 2 / 3, 2)
        assert slow and app_client.get("/api/v1/registers/statistics", headers=login("chuyen_vien"),
                                       params={"from": "2026-11-01", "to": "2026-12-31"}).status_code == 403
