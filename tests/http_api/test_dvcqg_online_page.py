"""The citizen page's online submission (issue 19 part 2): procedures offered online (with a national code)
are listed, the form is built from the procedure's schema, and a submission goes through the same domain
function as DVCQG's push: an online dossier at reception, not marked as submitted on DVCQG; refusals name
their fields in Vietnamese and write nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

Login = Callable[[str], dict[str, str]]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URL = "/api/v1/public/online-dossiers"


def form(**extra: str) -> dict[str, str]:
    return {"procedure_code": "VHTTDL-THE-THAO-QUAN-VOT", "full_name": "Lê Văn Cường", "phone": "0987654321",
            "id_number": "001089012346", **extra}


class TestOnlinePage:
    def test_page_lists_procedures_offered_online_and_builds_the_form(self, app_client: TestClient) -> None:
        listing = app_client.get("/nop-ho-so-truc-tuyen")
        assert listing.status_code == 200
        assert "Cấp Giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao đối với môn Quần vợt" in listing.text
        assert "VHTTDL-KARAOKE" not in listing.text, "no national code: not offered online"
        assert "default-src 'self'" in listing.headers["Content-Security-Policy"]
        page = app_client.get("/nop-ho-so-truc-tuyen", params={"thu_tuc": "VHTTDL-THE-THAO-QUAN-VOT"})
        assert page.status_code == 200
        assert 'type="file" data-component="1"' in page.text
        assert "Tôi đồng ý nhận thông báo về hồ sơ qua Zalo" in page.text
        assert app_client.get("/nop-ho-so-truc-tuyen/static/nop-ho-so.js").status_code == 200
        offered = app_client.get("/api/v1/public/online-procedures").json()["items"]
        assert [p["national_code"] for p in offered if p["code"] == "VHTTDL-THE-THAO-QUAN-VOT"] == ["1.000501"]

    def test_submission_makes_an_online_dossier_at_reception(self, app_client: TestClient, login: Login) -> None:
        created = app_client.post(URL, data={**form(), "consent_zalo": "true", "components": "1"},
                                  files=[("files", ("don.pdf", PDF, "application/pdf"))])
        assert created.status_code == 201, created.text
        code = created.json()["code"]
        assert created.json()["message"] == (f"Đã nộp hồ sơ {code}. Hồ sơ đang chờ Bộ phận Một cửa kiểm tra, "
                                             "tiếp nhận.")
        got = app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua")).json()
        assert (got["channel"], got["national_status"], got["submitted_on_dvcqg"], got["notify_zalo"]) == (
            "online", 1, False, True)
        documents = app_client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
        assert [d["filename"] for d in documents if d["kind"] == "upload"] == ["don.pdf"]

    def test_refusals_name_their_fields(self, app_client: TestClient, login: Login) -> None:
        def refused(data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]] | None = None) -> list:
            pdf = [("files", ("don.pdf", PDF, "application/pdf"))]
            response = app_client.post(URL, data=data, files=pdf if files is None else files or None)
            assert response.status_code == 422, response.text
            return list(response.json()["errors"])

        assert refused(form(phone="12345")) == [
            {"field": "phone", "message": "Số điện thoại: không phải số điện thoại Việt Nam hợp lệ (di động 10 chữ "
                                          "số, cố định 11 chữ số)."}]
        assert refused(form(), files=[]) == [
            {"field": "files", "message": "Tệp hồ sơ: cần đính kèm ít nhất một tệp."}]
        assert refused(form(procedure_code="VHTTDL-KARAOKE")) == [
            {"field": "procedure_code", "message": "Thủ tục hành chính: không nhận hồ sơ trực tuyến."}]
        assert refused({**form(), "consent_zalo": "true", "phone": ""}) == [
            {"field": "phone", "message": "Số điện thoại: cần có để nhận thông báo qua Zalo."}]
        listing = app_client.get("/api/v1/dossiers", headers=login("mot_cua")).json()
        assert listing["total"] == 0
