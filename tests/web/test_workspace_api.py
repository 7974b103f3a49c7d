"""What the officials' workspace added to the API (issue 21), on SQLite and PostgreSQL: the inbox's counts per
tab and its status filter, the inbox fields of a task, the case officers offered by name, the dossier's
process version for its diagram, and the preview of a Zalo message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.http_api.flows import APPLICANT
from workflows.core.clock import ManualClock

Login = Callable[[str], dict[str, str]]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def intake(client: TestClient, login: Login, **extra: Any) -> dict[str, Any]:
    body = {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "applicant": APPLICANT, "accept": True,
            **extra}
    response = client.post("/api/v1/dossiers", json=body, headers=login("mot_cua"))
    assert response.status_code == 201, response.text
    return response.json()


def counts(client: TestClient, login: Login, user: str, **params: str) -> dict[str, dict[str, int]]:
    response = client.get("/api/v1/tasks/counts", params=params, headers=login(user))
    assert response.status_code == 200, response.text
    return response.json()


def tasks(client: TestClient, login: Login, user: str, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/tasks", params=params, headers=login(user))
    assert response.status_code == 200, response.text
    return response.json()


class TestInboxCounts:
    def test_tabs_follow_claim_and_clock(self, app_client: TestClient, login: Login, clock: ManualClock) -> None:
        code = intake(app_client, login)["code"]
        intake(app_client, login)
        zero, two = {"total": 0, "overdue": 0}, {"total": 2, "overdue": 0}
        assert counts(app_client, login, "lanh_dao_phong") == {"mine": zero, "candidate": two, "all": two}
        assert counts(app_client, login, "chuyen_vien") == {"mine": zero, "candidate": zero, "all": zero}
        task = next(t for t in tasks(app_client, login, "lanh_dao_phong", scope="candidate")["items"]
                    if t["dossier_code"] == code)
        assert app_client.post(f"/api/v1/tasks/{task['id']}/claim", headers=login("lanh_dao_phong")).status_code == 200
        one = {"total": 1, "overdue": 0}
        assert counts(app_client, login, "lanh_dao_phong") == {"mine": one, "candidate": one, "all": two}
        # Each count is what the list of that tab shows.
        for scope in ("mine", "candidate", "all"):
            listed = tasks(app_client, login, "lanh_dao_phong", scope=scope)
            assert listed["total"] == counts(app_client, login, "lanh_dao_phong")[scope]["total"]
        clock.advance(timedelta(days=10))
        late = counts(app_client, login, "lanh_dao_phong")
        assert late["all"] == {"total": 2, "overdue": 2} and late["mine"] == {"total": 1, "overdue": 1}

    def test_filters_by_procedure_and_status(self, app_client: TestClient, login: Login) -> None:
        intake(app_client, login)
        assert counts(app_client, login, "lanh_dao_phong", status="CHO_PHAN_CONG")["all"]["total"] == 1
        assert counts(app_client, login, "lanh_dao_phong", status="DANG_THAM_DINH")["all"]["total"] == 0
        assert counts(app_client, login, "lanh_dao_phong", procedure_code="VHTTDL-KARAOKE")["all"]["total"] == 1
        assert counts(app_client, login, "lanh_dao_phong", procedure_code="KHAC")["all"]["total"] == 0
        assert tasks(app_client, login, "lanh_dao_phong", scope="all", status="CHO_PHAN_CONG")["total"] == 1
        assert tasks(app_client, login, "lanh_dao_phong", scope="all", status="DA_TIEP_NHAN")["items"] == []

    def test_anonymous_is_refused(self, app_client: TestClient) -> None:
        response = app_client.get("/api/v1/tasks/counts")
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


class TestInboxFields:
    def test_a_task_names_its_dossier(self, app_client: TestClient, login: Login, clock: ManualClock) -> None:
        dossier = intake(app_client, login)
        [item] = tasks(app_client, login, "lanh_dao_phong", scope="all")["items"]
        assert item["dossier_code"] == dossier["code"]
        assert item["procedure_name"] == dossier["procedure_name"]
        assert item["dossier_status"] == "CHO_PHAN_CONG"
        assert item["dossier_status_name"] == "Chờ phân công thụ lý"
        assert item["applicant_name"] == APPLICANT["full_name"]
        assert item["dossier_due_at"] == dossier["due_at"]
        assert item["due_soon"] is False and item["overdue"] is False
        assert APPLICANT["phone"] not in str(item) and APPLICANT["id_number"] not in str(item)
        # Shortly before its due time the step is due soon, then overdue.
        due = item["due_at"]
        clock.set(datetime.fromisoformat(due) - timedelta(minutes=30))
        [soon] = tasks(app_client, login, "lanh_dao_phong", scope="all")["items"]
        assert soon["due_soon"] is True and soon["overdue"] is False
        clock.set(datetime.fromisoformat(due) + timedelta(minutes=1))
        [late] = tasks(app_client, login, "lanh_dao_phong", scope="all")["items"]
        assert late["due_soon"] is False and late["overdue"] is True

    def test_case_officers_are_offered_by_name(self, app_client: TestClient, login: Login) -> None:
        task_id = intake(app_client, login)["current_steps"][0]["task_id"]
        response = app_client.get(f"/api/v1/tasks/{task_id}", headers=login("lanh_dao_phong"))
        assert response.status_code == 200, response.text
        field = response.json()["form_schema"]["properties"]["case_officer"]
        choices = {c["const"]: c["title"] for c in field["oneOf"]}
        assert choices == {
            "chuyen_vien": "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình",
            "chuyen_vien_2": "Bùi Thị Ngọc Anh, Chuyên viên Phòng Quản lý Văn hóa và Gia đình",
        }
        # The stored schema is unchanged: a choice outside the list is still refused by the domain rule.
        refused = app_client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"case_officer": "van_thu"}},
                                  headers=login("lanh_dao_phong"))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "case_officer"


class TestDiagramOfADossier:
    def test_process_version_and_current_elements(self, app_client: TestClient, login: Login) -> None:
        dossier = intake(app_client, login)
        assert dossier["process_key"] == "karaoke_vu_truong" and dossier["process_version"] == 1
        [step] = dossier["current_steps"]
        xml = app_client.get(f"/api/v1/process-definitions/{dossier['process_key']}/versions/"
                             f"{dossier['process_version']}/xml", headers=login("lanh_dao_phong"))
        assert xml.status_code == 200 and f'id="{step["step"]}"' in xml.text


class TestMessagePreview:
    def test_preview_is_the_text_sent(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login, notify_zalo=True)["code"]
        headers = login("mot_cua")
        upload = app_client.post(f"/api/v1/dossiers/{code}/documents", headers=headers,
                                 files={"file": ("giay-hen.pdf", PDF, "application/pdf")})
        assert upload.status_code == 201, upload.text
        body = {"text": "  Mời ông/bà mang bản chính khi nhận kết quả. ", "document_id": upload.json()["id"]}
        preview = app_client.post(f"/api/v1/dossiers/{code}/messages/preview", json=body, headers=headers)
        assert preview.status_code == 200, preview.text
        assert preview.json() == {
            "text": f"[Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang] Về hồ sơ {code}: "
                    "Mời ông/bà mang bản chính khi nhận kết quả.",
            "attachment": {"filename": "giay-hen.pdf", "route": "file", "link_text": None},
        }
        before = app_client.get(f"/api/v1/dossiers/{code}/messages", headers=headers).json()["items"]
        sent = app_client.post(f"/api/v1/dossiers/{code}/messages", json=body, headers=headers)
        assert sent.status_code == 202, sent.text
        after = app_client.get(f"/api/v1/dossiers/{code}/messages", headers=headers).json()["items"]
        assert len(after) == len(before) + 1 and after[-1]["text"] == preview.json()["text"]

    def test_refused_like_the_message(self, app_client: TestClient, login: Login) -> None:
        code = intake(app_client, login)["code"]  # no Zalo consent
        response = app_client.post(f"/api/v1/dossiers/{code}/messages/preview", json={"text": "Chào"},
                                   headers=login("mot_cua"))
        assert response.status_code == 422 and response.json()["code"] == "zalo_not_consented"
        empty = app_client.post(f"/api/v1/dossiers/{code}/messages/preview", json={"text": ""},
                                headers=login("chuyen_vien"))
        assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"
        assert app_client.post(f"/api/v1/dossiers/{code}/messages/preview", json={"text": "Chào"},
                               headers=login("van_thu")).status_code == 403
