"""Issue 20 done-when, over HTTP on both databases: the same procedure received at the provincial centre and at
two commune desks is resolved by the competent agency (the Sở), codes carry the receiving agency, each
commune's officials see only their own dossiers, the province's supervisor sees all (and acts on none); a
commune-level procedure received at one commune is decided by the commune the applicant named; a dossier
received at a commune and decided by the Sở crosses both with each agency's share of the time limit, the
citizen told of the hand-over and sent back to the commune's desk for the result."""

from __future__ import annotations

import io
import re
from typing import Any

import pypdf
from fastapi.testclient import TestClient
from flows import APPLICANT, APPRAISE_OK, INSPECT, ISSUE, RETURN, REVIEW_OK, SIGN, Login

SO, XA1, XA2 = "H60.22", "H60.71", "H60.72"
SO_NAME = "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"
XA1_NAME = "Ủy ban nhân dân phường Minh Xuân"
KARAOKE = "VHTTDL-KARAOKE"
LE_HOI_XA = "VHTTDL-LE-HOI-CAP-XA"
FACTS = {"dia_ban": "thanh_pho_thi_xa", "so_phong": 3}


def receive(client: TestClient, login: Login, desk: str, procedure: str = KARAOKE, **extra: Any) -> dict[str, Any]:
    body = {"procedure_code": procedure, "channel": "counter", "applicant": APPLICANT, "notify_zalo": True,
            "accept": True, **({"facts": FACTS} if procedure == KARAOKE else {}), **extra}
    response = client.post("/api/v1/dossiers", json=body, headers=login(desk))
    assert response.status_code == 201, response.text
    return dict(response.json())


def codes_seen(client: TestClient, login: Login, user: str) -> set[str]:
    response = client.get("/api/v1/dossiers", params={"page_size": 100}, headers=login(user))
    assert response.status_code == 200, response.text
    return {d["code"] for d in response.json()["items"]}


def step_as(client: TestClient, login: Login, user: str, code: str, step: str, data: dict[str, Any]) -> None:
    detail = client.get(f"/api/v1/dossiers/{code}", headers=login(user)).json()
    current = detail["current_steps"]
    assert [c["step"] for c in current] == [step], (detail.get("status"), current)
    response = client.post(f"/api/v1/tasks/{current[0]['task_id']}/complete", json={"data": data},
                           headers=login(user))
    assert response.status_code == 200, response.text


def texts(client: TestClient, login: Login, user: str, code: str) -> list[tuple[str, str]]:
    response = client.get(f"/api/v1/dossiers/{code}/messages", headers=login(user))
    assert response.status_code == 200, response.text
    return [(m["event"], m["text"]) for m in response.json()["items"]]


def mau_01(client: TestClient, login: Login, user: str, code: str) -> str:
    """The text of the dossier's receipt slip (Mẫu 01), whitespace runs collapsed."""
    items = client.get(f"/api/v1/dossiers/{code}/documents", headers=login(user)).json()["items"]
    document = next(d for d in items if d["form_code"] == "MAU_01")
    response = client.get(f"/api/v1/dossiers/{code}/documents/{document['id']}", headers=login(user))
    assert response.status_code == 200, response.text
    return " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages).split())


class TestReceivingPointsAndCompetentAgencies:
    def test_same_procedure_at_the_centre_and_two_communes(self, app_client: TestClient, login: Login) -> None:
        at_centre = receive(app_client, login, "mot_cua")
        at_xa1 = receive(app_client, login, "mot_cua_xa1")
        at_xa2 = receive(app_client, login, "mot_cua_xa2")
        # Codes carry the receiving agency, each with its own daily sequence.
        for dossier, desk in ((at_centre, SO), (at_xa1, XA1), (at_xa2, XA2)):
            assert re.fullmatch(re.escape(desk) + r"-\d{6}-0001", dossier["code"]), dossier["code"]
            assert dossier["received_agency_code"] == desk
            # The Sở decides, in its culture division, whichever desk received it.
            assert (dossier["agency_code"], dossier["agency_name"]) == (SO, SO_NAME)
            assert dossier["department"] == "Phòng Quản lý Văn hóa và Gia đình"
        assert at_xa1["received_agency_name"] == XA1_NAME
        # Each desk numbers its receipt slips in its own register.
        for dossier, desk, header in ((at_centre, "mot_cua", "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH TỈNH TUYÊN QUANG"),
                                      (at_xa1, "mot_cua_xa1", "ỦY BAN NHÂN DÂN PHƯỜNG MINH XUÂN"),
                                      (at_xa2, "mot_cua_xa2", "ỦY BAN NHÂN DÂN XÃ YÊN SƠN")):
            assert f"{header} Số: 1/TNHS" in mau_01(app_client, login, desk, dossier["code"])
        codes = {at_centre["code"], at_xa1["code"], at_xa2["code"]}

        # Each commune's desk sees only what it received; a commune's other officials see none of the Sở's.
        assert codes_seen(app_client, login, "mot_cua_xa1") == {at_xa1["code"]}
        assert codes_seen(app_client, login, "mot_cua_xa2") == {at_xa2["code"]}
        assert codes_seen(app_client, login, "chuyen_vien_xa1") == set()
        # The commune's leaders follow what their desk received, nothing else of the Sở's.
        assert codes_seen(app_client, login, "lanh_dao_xa1") == {at_xa1["code"]}
        other = app_client.get(f"/api/v1/dossiers/{at_xa2['code']}", headers=login("mot_cua_xa1"))
        assert other.status_code == 404 and other.json()["code"] == "dossier_not_found"
        # The Sở's division and leaders see all three; the province's supervisors see all, and act on none.
        assert codes_seen(app_client, login, "lanh_dao_phong") == codes
        assert codes_seen(app_client, login, "lanh_dao_so") == codes
        for supervisor in ("giam_sat_tinh", "giam_doc_ttpvhcc"):
            assert codes_seen(app_client, login, supervisor) == codes
        task = app_client.get(f"/api/v1/dossiers/{at_xa1['code']}",
                              headers=login("giam_sat_tinh")).json()["current_steps"][0]
        assert task["step"] == "phan_cong"
        claim = app_client.post(f"/api/v1/tasks/{task['task_id']}/claim", headers=login("giam_sat_tinh"))
        assert claim.status_code == 403
        reveal = app_client.post(f"/api/v1/dossiers/{at_xa1['code']}/reveal", headers=login("giam_sat_tinh"),
                                 json={"reason": "Kiểm tra theo phản ánh", "fields": ["phone"]})
        assert reveal.status_code == 403
        # Statistics: everything counts for the agency that resolves it, whichever desk received it.
        day = at_centre["submitted_at"][:10]
        period = {"from": day, "to": day}
        province = app_client.get("/api/v1/registers/statistics", params=period, headers=login("giam_sat_tinh"))
        assert province.status_code == 200, province.text
        assert [(a["agency_code"], a["received"]) for a in province.json()["agencies"]] == [(SO, 3)]
        assert province.json()["total"]["received"] == 3
        commune = app_client.get("/api/v1/registers/statistics", params=period, headers=login("lanh_dao_phong_xa1"))
        assert commune.json()["total"]["received"] == 0
        # The Sở's division head assigns the commune-received dossier to a case officer of the Sở.
        step_as(app_client, login, "lanh_dao_phong", at_xa1["code"], "phan_cong", {"case_officer": "chuyen_vien"})
        assert app_client.get(f"/api/v1/dossiers/{at_xa1['code']}", headers=login("chuyen_vien_xa1")).status_code == 404

    def test_a_commune_level_procedure_goes_to_the_commune_named(self, app_client: TestClient,
                                                               login: Login) -> None:
        refused = app_client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
            "procedure_code": LE_HOI_XA, "channel": "counter", "applicant": APPLICANT})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "competent_agency_code"
        assert refused.json()["errors"][0]["message"].startswith("Cơ quan giải quyết: thủ tục cấp xã cần nêu xã")
        # Received at Yên Sơn's desk for a festival in Minh Xuân (any commune accepts since 1/10/2025).
        dossier = receive(app_client, login, "mot_cua_xa2", LE_HOI_XA, competent_agency_code=XA1)
        assert dossier["code"].startswith(f"{XA2}-")
        assert (dossier["agency_code"], dossier["agency_name"]) == (XA1, XA1_NAME)
        assert dossier["department"] == "Phòng Văn hóa - Xã hội"
        code = dossier["code"]
        assert codes_seen(app_client, login, "lanh_dao_phong_xa1") == {code}
        assert codes_seen(app_client, login, "lanh_dao_phong_xa2") == set()
        assert codes_seen(app_client, login, "lanh_dao_phong") == set()  # the Sở has nothing to do with it
        wrong = app_client.post(f"/api/v1/tasks/{dossier['current_steps'][0]['task_id']}/claim",
                                headers=login("lanh_dao_phong_xa2"))
        assert wrong.status_code == 404
        step_as(app_client, login, "lanh_dao_phong_xa1", code, "phan_cong", {"case_officer": "chuyen_vien_xa1"})
        step_as(app_client, login, "chuyen_vien_xa1", code, "tham_dinh", APPRAISE_OK)


class TestLienThong:
    def test_received_at_a_commune_decided_by_the_so(self, app_client: TestClient, login: Login) -> None:
        received = receive(app_client, login, "mot_cua_xa1")
        code = received["code"]
        procedure = app_client.get(f"/api/v1/procedures/{KARAOKE}", headers=login("mot_cua_xa1")).json()
        desk_hours = sum(s["hours"] for s in procedure["steps"] if s["role"] == "MOT_CUA")
        so_hours = sum(s["hours"] for s in procedure["steps"] if s["role"] != "MOT_CUA")
        assert desk_hours > 0 and so_hours > 0
        assert received["agencies"] == [
            {"code": XA1, "name": XA1_NAME, "part": "tiep_nhan_tra_ket_qua", "hours": desk_hours},
            {"code": SO, "name": SO_NAME, "part": "giai_quyet", "hours": so_hours},
        ]
        assert received["current_agency_code"] == SO  # accepted at the desk: handed over at once
        # The receipt slip is the commune's: its name, its register, its clerk, its desk for the result.
        receipt = mau_01(app_client, login, "mot_cua_xa1", code)
        assert f"Mã hồ sơ: {code} {XA1_NAME} tiếp nhận hồ sơ của: Nguyễn Thị Hồng Nhung" in receipt
        assert "ỦY BAN NHÂN DÂN PHƯỜNG MINH XUÂN Số: 1/TNHS" in receipt
        assert "Nông Thị Huyền Công chức Trung tâm Phục vụ hành chính công phường Minh Xuân" in receipt
        assert "Sở Văn hóa" not in receipt

        for user, step, data in (("lanh_dao_phong", "phan_cong", {"case_officer": "chuyen_vien"}),
                                 ("chuyen_vien", "kiem_tra_thuc_te", INSPECT),
                                 ("chuyen_vien", "tham_dinh", APPRAISE_OK),
                                 ("lanh_dao_phong", "xem_xet", REVIEW_OK),
                                 ("lanh_dao_so", "ky_duyet", SIGN),
                                 ("van_thu", "phat_hanh", ISSUE)):
            step_as(app_client, login, user, code, step, data)
        # The result goes back to the commune's desk: the Sở's own desk may not hand it over.
        back = app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua_xa1")).json()
        assert back["current_agency_code"] == XA1
        task = back["current_steps"][0]
        assert task["step"] == "tra_ket_qua"
        assert app_client.post(f"/api/v1/tasks/{task['task_id']}/claim", headers=login("mot_cua")).status_code == 403
        step_as(app_client, login, "mot_cua_xa1", code, "tra_ket_qua", RETURN)

        sent = dict(texts(app_client, login, "mot_cua_xa1", code))
        assert sent["CHUYEN_LIEN_THONG"] == (
            f"Hồ sơ {code} – Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke đã được {XA1_NAME} chuyển "
            f"đến {SO_NAME} để giải quyết theo thẩm quyền. Kết quả được trả tại Bộ phận Một cửa, Trung tâm "
            "Phục vụ hành chính công phường Minh Xuân.")
        assert sent["DA_CO_KET_QUA"] == (f"Hồ sơ {code} đã có kết quả. Mời ông/bà nhận kết quả tại Bộ phận Một "
                                         "cửa, Trung tâm Phục vụ hành chính công phường Minh Xuân.")
        assert sent["KY_DUYET"] == f"Hồ sơ {code} đã được trình lãnh đạo {SO_NAME} ký duyệt."
        events = [event for event, _ in texts(app_client, login, "mot_cua_xa1", code)]
        assert events.index("TIEP_NHAN") < events.index("CHUYEN_LIEN_THONG") < events.index("KY_DUYET")
        assert events.count("CHUYEN_LIEN_THONG") == 1

    def test_no_hand_over_when_the_desk_agency_decides(self, app_client: TestClient, login: Login) -> None:
        received = receive(app_client, login, "mot_cua")
        assert [a["part"] for a in received["agencies"]] == ["tiep_nhan_giai_quyet"]
        assert "CHUYEN_LIEN_THONG" not in [e for e, _ in texts(app_client, login, "mot_cua", received["code"])]


class TestWhereToSubmit:
    def test_the_public_catalogue_names_the_right_desks(self, app_client: TestClient) -> None:
        items = {p["code"]: p for p in app_client.get("/api/v1/public/procedures").json()["items"]}
        assert items[LE_HOI_XA]["where_to_submit"] == (
            "Nộp trực tiếp tại Trung tâm Phục vụ hành chính công của bất kỳ xã, phường nào trong tỉnh (hồ sơ "
            "được chuyển đến xã, phường có thẩm quyền giải quyết) hoặc qua dịch vụ bưu chính công ích.")
        assert items[KARAOKE]["where_to_submit"] == (
            "Nộp trực tiếp tại Bộ phận Một cửa – Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang (quầy của "
            f"{SO_NAME}) hoặc tại Trung tâm Phục vụ hành chính công của bất kỳ xã, phường nào trong tỉnh, qua "
            "dịch vụ bưu chính công ích, hoặc trực tuyến trên Cổng Dịch vụ công.")


class TestAgencyList:
    def test_the_tree_and_the_import(self, app_client: TestClient, login: Login) -> None:
        listed = app_client.get("/api/v1/agencies").json()["items"]
        codes = [a["code"] for a in listed]
        assert codes[0] == "H60" and {SO, XA1, XA2} <= set(codes)
        assert codes.index("H60.01") < codes.index("H60.50")  # the centre under the province's office
        xa1 = next(a for a in listed if a["code"] == XA1)
        assert (xa1["national_code"], xa1["level"], xa1["kind_name"], xa1["receives_dossiers"]) == (
            "000.00.71.H60", "xa", "Ủy ban nhân dân phường", True)
        former = next(a for a in listed if a["kind"] == "huyen_cu")
        assert former["closed_on"] == "2025-07-01" and not former["receives_dossiers"]
        open_only = app_client.get("/api/v1/agencies", params={"include_closed": "false"}).json()["items"]
        assert former["code"] not in [a["code"] for a in open_only]

        header = "code,national_code,name,kind,parent_code,address,phone,email,centre_name,closed_on\n"
        bad = header + "H60.73,000.00.73.H60,Ủy ban nhân dân xã Mới,ubnd_xa,H60,,,,,\nH60.74,12,,thon,H99,,,,,hôm qua\n"
        refused = app_client.post("/api/v1/admin/agencies/import", headers=login("quan_tri"),
                                  files={"file": ("co-quan.csv", bad.encode(), "text/csv")})
        assert refused.status_code == 422
        fields = [e["field"] for e in refused.json()["errors"]]
        assert fields == ["rows[3].national_code", "rows[3].name", "rows[3].kind", "rows[3].parent_code",
                          "rows[3].closed_on"]
        assert refused.json()["errors"][2]["message"].startswith("Dòng 3, cột “kind”: loại cơ quan không hợp lệ")
        assert app_client.get("/api/v1/agencies/H60.73").status_code == 404  # nothing of the file was written
        good = header + ("H60.73,000.00.73.H60,Ủy ban nhân dân xã Mới,ubnd_xa,H60,,,,"
                         "Trung tâm Phục vụ hành chính công xã Mới,\n")
        assert app_client.post("/api/v1/admin/agencies/import", headers=login("mot_cua"),
                               files={"file": ("co-quan.csv", good.encode(), "text/csv")}).status_code == 403
        imported = app_client.post("/api/v1/admin/agencies/import", headers=login("quan_tri"),
                                   files={"file": ("co-quan.csv", good.encode(), "text/csv")})
        assert imported.status_code == 200 and imported.json() == {"created": ["H60.73"], "updated": []}
        assert app_client.get("/api/v1/agencies/H60.73").json()["name"] == "Ủy ban nhân dân xã Mới"
