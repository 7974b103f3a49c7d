"""Issue 19 part 5 over HTTP: an administrator previews how the national catalogue (the DVCQG emulator's
LayThuTuc fixtures) differs from ours, then applies what was seen as new procedure versions; a national
catalogue changed after the preview is refused (409), and DVCQG faults are a 503 with nothing written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from live import live_server
from sqlmodel import Session, select

from connectors.dvcqg.emulator.catalogue import load_fixtures
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.procedures import service

LUU_TRU, QUAN_VOT = "VHTTDL-LUU-TRU-1-3-SAO", "VHTTDL-THE-THAO-QUAN-VOT"
CHANGES = "/api/v1/admin/dvcqg/catalogue/changes"
APPLY = "/api/v1/admin/dvcqg/catalogue/apply"


def headers(base: str, username: str) -> dict[str, str]:
    response = requests.post(f"{base}/api/v1/auth/token", data={"username": username, "password": "motcua-demo"},
                             timeout=10)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def versions(wiring: Any, code: str) -> list[int]:
    with Session(wiring.db) as session:
        return [v.version for v in service.list_versions(session, code=code)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))


def test_preview_shows_the_differences_and_apply_writes_version_n_plus_one(
    settings: Settings, clock: ManualClock, db: Any
) -> None:
    with live_server(settings, clock) as (base, wiring):
        admin = headers(base, "quan_tri")
        assert requests.get(f"{base}{CHANGES}", headers=headers(base, "mot_cua"), timeout=30).status_code == 403
        preview = requests.get(f"{base}{CHANGES}", headers=admin, timeout=30)
        assert preview.status_code == 200, preview.text
        body = preview.json()
        rows = {r["procedure_code"]: r for r in body["procedures"]}
        assert set(rows) == {LUU_TRU, QUAN_VOT}  # the procedures with a national code
        assert rows[LUU_TRU]["national_code"] == "CHUA-XAC-MINH.LUU-TRU-1-3-SAO"
        assert rows[LUU_TRU]["problem"] is None
        assert [(c["label"], c["ours"], c["national"]) for c in rows[LUU_TRU]["changes"]] == [
            ("Thời hạn giải quyết", "30 ngày", "20 ngày làm việc"),
            ("Phí, lệ phí",
             "Phí thẩm định công nhận hạng cơ sở lưu trú du lịch (Hạng 1 sao, 2 sao): 1.500.000 đồng; "
             "Phí thẩm định công nhận hạng cơ sở lưu trú du lịch (Hạng 3 sao): 2.000.000 đồng",
             "Phí thẩm định công nhận hạng cơ sở lưu trú du lịch (Hạng 1 sao, 2 sao): 1.500.000 đồng; "
             "Phí thẩm định công nhận hạng cơ sở lưu trú du lịch (Hạng 3 sao): 2.500.000 đồng"),
        ]
        tennis = rows[QUAN_VOT]["changes"]
        assert [c["field"] for c in tennis] == ["documents"]
        assert tennis[0]["national"].endswith("; Bản sao Giấy chứng nhận đăng ký doanh nghiệp hoặc Giấy chứng "
                                              "nhận đăng ký hộ kinh doanh")
        assert versions(wiring, LUU_TRU) == [1]  # a preview writes nothing

        denied = requests.post(f"{base}{APPLY}", headers=headers(base, "mot_cua"), timeout=30,
                               json={"fingerprint": body["fingerprint"], "procedure_codes": [LUU_TRU]})
        assert denied.status_code == 403
        applied = requests.post(f"{base}{APPLY}", headers=admin, timeout=30,
                                json={"fingerprint": body["fingerprint"], "procedure_codes": [LUU_TRU, QUAN_VOT]})
        assert applied.status_code == 200, applied.text
        assert applied.json() == [{"procedure_code": LUU_TRU, "version": 2}, {"procedure_code": QUAN_VOT, "version": 2}]
        with Session(wiring.db) as session:
            current = service.current(session, code=LUU_TRU)
            assert (current.time_limit_value, current.time_limit_unit) == (20, "working_days")
            assert [f["amount"] for f in current.fees] == [1500000, 2500000]
            assert len(service.current(session, code=QUAN_VOT).documents) == 4
            audits = session.exec(select(AuditEntry).where(AuditEntry.action == "procedure.national_refresh")).all()
            assert sorted(a.data["procedure_code"] for a in audits) == [LUU_TRU, QUAN_VOT]
        again = requests.get(f"{base}{CHANGES}", headers=admin, timeout=30).json()
        assert all(r["changes"] == [] for r in again["procedures"])


def test_a_national_change_after_the_preview_is_refused(settings: Settings, clock: ManualClock, db: Any) -> None:
    with live_server(settings, clock) as (base, wiring):
        admin = headers(base, "quan_tri")
        fingerprint = requests.get(f"{base}{CHANGES}", headers=admin, timeout=30).json()["fingerprint"]
        tennis = load_fixtures()["1.000501"]
        tennis["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = "10"
        assert requests.post(f"{base}/dvcqg-emulator/catalogue", data=json.dumps(tennis),
                             headers={"Content-Type": "application/json"}, timeout=10).status_code == 200
        refused = requests.post(f"{base}{APPLY}", headers=admin, timeout=30,
                                json={"fingerprint": fingerprint, "procedure_codes": [LUU_TRU]})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "catalogue_changed"
        assert refused.json()["detail"] == ("Danh mục thủ tục quốc gia hoặc danh mục của Trung tâm đã thay đổi sau "
                                            "khi xem trước; vui lòng xem lại các thay đổi rồi áp dụng.")
        assert versions(wiring, LUU_TRU) == [1] and versions(wiring, QUAN_VOT) == [1]
        fresh = requests.get(f"{base}{CHANGES}", headers=admin, timeout=30).json()
        tennis_changes = next(r for r in fresh["procedures"] if r["procedure_code"] == QUAN_VOT)["changes"]
        assert ("Thời hạn giải quyết", "7 ngày làm việc", "10 ngày làm việc") in [
            (c["label"], c["ours"], c["national"]) for c in tennis_changes]


def test_dvcqg_faults_are_503_and_nothing_is_written(settings: Settings, clock: ManualClock, db: Any) -> None:
    with live_server(settings, clock) as (base, wiring):
        admin = headers(base, "quan_tri")
        fingerprint = requests.get(f"{base}{CHANGES}", headers=admin, timeout=30).json()["fingerprint"]
        requests.post(f"{base}/dvcqg-emulator/faults", timeout=10,
                      json={"rate": 1, "kinds": ["http_500"], "services": ["LayThuTuc"]}).raise_for_status()
        failed = requests.post(f"{base}{APPLY}", headers=admin, timeout=30,
                               json={"fingerprint": fingerprint, "procedure_codes": [LUU_TRU, QUAN_VOT]})
        assert failed.status_code == 503, failed.text
        assert failed.json()["code"] == "dvcqg_unavailable"
        assert failed.json()["detail"].startswith("Không kết nối được Cổng Dịch vụ công quốc gia để lấy thông tin "
                                                  "thủ tục ")
        assert requests.get(f"{base}{CHANGES}", headers=admin, timeout=30).status_code == 503
        assert versions(wiring, LUU_TRU) == [1] and versions(wiring, QUAN_VOT) == [1]
        with Session(wiring.db) as session:
            assert not session.exec(select(AuditEntry).where(AuditEntry.action == "procedure.national_refresh")).all()


def test_national_values_we_cannot_use_are_shown_and_not_applied(
    settings: Settings, clock: ManualClock, db: Any
) -> None:
    with live_server(settings, clock) as (base, wiring):
        admin = headers(base, "quan_tri")
        fixtures = load_fixtures()
        luu_tru, tennis = fixtures["CHUA-XAC-MINH.LUU-TRU-1-3-SAO"], fixtures["1.000501"]
        for channel in luu_tru["CACHTHUCTHUCHIEN"]:
            channel["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = "5"  # shorter than our steps (156 working hours)
        for channel in tennis["CACHTHUCTHUCHIEN"]:
            channel["THOIGIAN"][0]["DONVITINH"] = "Tháng"
        for item in (luu_tru, tennis):
            requests.post(f"{base}/dvcqg-emulator/catalogue", json=item, timeout=10).raise_for_status()
        body = requests.get(f"{base}{CHANGES}", headers=admin, timeout=30).json()
        rows = {r["procedure_code"]: r for r in body["procedures"]}
        assert rows[QUAN_VOT]["problem"] == "Thủ tục 1.000501: đơn vị thời gian “Tháng” chưa được hỗ trợ"
        assert rows[QUAN_VOT]["changes"] == []
        assert rows[LUU_TRU]["problem"] == ("Không áp dụng được thông tin quốc gia: Các bước cộng lại 156 giờ làm "
                                            "việc, quá thời hạn giải quyết (5 ngày làm việc).")
        refused = requests.post(f"{base}{APPLY}", headers=admin, timeout=30,
                                json={"fingerprint": body["fingerprint"], "procedure_codes": [LUU_TRU, QUAN_VOT]})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["procedure_codes.0", "procedure_codes.1"]
        assert refused.json()["errors"][0]["message"] == (
            "Các thủ tục cập nhật: Không áp dụng được thông tin quốc gia: Các bước cộng lại 156 giờ làm việc, quá "
            "thời hạn giải quyết (5 ngày làm việc).")
        assert refused.json()["errors"][1]["message"] == (
            f"Các thủ tục cập nhật: thủ tục {QUAN_VOT} không có thay đổi nào để áp dụng.")
        requests.post(f"{base}/dvcqg-emulator/faults", timeout=10,
                      json={"rate": 1, "kinds": ["error"], "services": ["LayThuTuc"]}).raise_for_status()
        busy = requests.get(f"{base}{CHANGES}", headers=admin, timeout=30)
        assert busy.status_code == 502 and busy.json()["code"] == "dvcqg_refused"
        assert versions(wiring, LUU_TRU) == [1] and versions(wiring, QUAN_VOT) == [1]
