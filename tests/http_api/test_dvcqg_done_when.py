"""Issue 19, done when: a dossier a citizen submits on DVCQG (the emulator pushes it) is walked to its result
with the fee paid online; the emulator's ledger then holds one create and the progress entries in order, the
national statuses as they happened (1, 2, 4, 6, 4 after the fee, 9, 10), dates in the spec's format, the
online-payment, online-channel and VNeID flags set, nothing applied twice. With a third of the adapter's
calls failing the applied calls end the same (the killed worker: test_dvcqg_sync_e2e.py)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from live import Citizen, live_server, wait_for
from test_dvcqg_sync_e2e import Desk, all_sent, applied, dvcqg_settings, sync_rows

from connectors.dvcqg.emulator.indicators import applied_history
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

NATIONAL_CODE = "CHUA-XAC-MINH.LUU-TRU-1-3-SAO"  # VHTTDL-LUU-TRU-1-3-SAO's placeholder national code
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
AFTER_THE_FEE = [
    ("xem_xet", {"quyet_dinh": "trinh_ky", "y_kien": "Trình ký"}),
    ("ky_duyet", {"quyet_dinh": "ky", "y_kien": "Đồng ý"}),
    ("phat_hanh", {"so_van_ban": "126/QĐ-SVHTTDL", "ngay_ban_hanh": "2026-12-08"}),
    ("tra_ket_qua", {"hinh_thuc_tra": "truc_tuyen"}),
]


# The hand-overs as DVCQG receives them, in order, with the national status after each.
STEPS_SYNCED = [("Tiếp nhận hồ sơ", "4"), ("Phân công thụ lý", "4"), ("Thẩm định hồ sơ", "6"),
                ("Thực hiện nghĩa vụ tài chính", "4"), ("Xem xét, trình ký", "4"), ("Ký duyệt", "4"),
                ("Vào sổ, phát hành", "9"), ("Trả kết quả", "10")]


@pytest.fixture
def now_clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # a Monday, 09:00 in Tuyên Quang


def submit_online(base: str) -> str:
    response = requests.post(f"{base}/dvcqg-emulator/citizen-submissions", timeout=60, json={
        "procedure_code": NATIONAL_CODE, "consent_zalo": True, "facts": {"hang_de_nghi": "mot_hai_sao"},
        "summary": "Đề nghị công nhận khách sạn 2 sao",
        "applicant": {"name": "Hoàng Văn Bình", "id_number": "008090011223", "phone": "0912300021",
                      "vneid": True, "tech_id": "TECH-0021"},
        "files": [{"name": "don-de-nghi.pdf", "component_code": "TP1", "media_type": "application/pdf",
                   "content_base64": base64.b64encode(PDF).decode()}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"]["error_code"] == "0", body
    return str(body["MaHoSo"])


def pay_online(base: str, code: str) -> None:
    lookup = requests.post(f"{base}/api/v1/public/lookup", timeout=10, json={"code": code, "verifier": "0021"})
    assert lookup.status_code == 200, lookup.text
    assert lookup.json()["payment_amount"] == 1_500_000
    start = requests.post(lookup.json()["payment_url"], allow_redirects=False, timeout=30)
    assert start.status_code == 303, start.text
    paid = requests.post(start.headers["location"], data={"action": "pay"}, timeout=60)
    assert "Thanh toán thành công" in paid.text


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "a-third-failing"])
def test_an_online_dossier_paid_online_is_synced_once_in_order(
        settings: Settings, now_clock: ManualClock, db: Any, faults: bool) -> None:
    with live_server(dvcqg_settings(settings), now_clock) as (base, wiring):
        citizen = Citizen(base, "84912300021")
        citizen.act("follow")
        assert wait_for(lambda: len(citizen.inbox()) >= 2)
        assert "Đã xác thực số điện thoại" in citizen.share_and_prove(name="Hoàng Văn Bình")
        if faults:  # the adapter fails a third of the calls; the push and the payment platform do not
            answer = requests.post(f"{base}/dvcqg-emulator/faults", timeout=5, json={
                "rate": 0.33, "seed": 19, "kinds": ["http_500", "timeout", "timeout_after_apply", "error"],
                "services": ["DongBoHoSoMC", "CapNhatTienDoHoSoMC", "TraCuuHoSo"]})
            assert answer.status_code == 200, answer.text
        code = submit_online(base)
        assert re.fullmatch(r"000\.00\.22\.H60-261207-\d{4}", code), code
        assert wait_for(lambda: any(code in str(m.get("text")) and "đã nộp hồ sơ" in str(m.get("text"))
                                    for m in citizen.inbox())), citizen.inbox()[-2:]
        desk = Desk(base)
        desk.step(code, "tiep_nhan", {"quyet_dinh": "tiep_nhan"})
        desk.step(code, "phan_cong", {"case_officer": "chuyen_vien_dl"})  # the tourism division decides
        desk.step(code, "tham_dinh", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"})
        pay_online(base, code)
        for step, data in AFTER_THE_FEE:
            desk.step(code, step, data)

        def settled() -> bool:
            return all_sent(wiring, code)

        tick = (lambda: now_clock.advance(timedelta(seconds=3))) if faults else None
        assert wait_for(settled, timeout=180, tick=tick), [(r.kind, r.status, r.attempts, r.last_error)
                                                            for r in sync_rows(wiring, code)]
        calls = applied(base, code)
        ledger = requests.get(f"{base}/dvcqg-emulator/ledger", timeout=10).json()["entries"]
        history = applied_history(ledger)[code]
        assert history["statuses"] == ["1", "2", "4", "6", "4", "9", "10"]
        creates = [c for c in calls if c["service"] == "DongBoHoSoMC" and c["body"]["isUpdating"] == "False"]
        assert len(creates) == 1 and calls[0] is creates[0]
        entries = [(p["ThoiDiemXuLy"], p["TrangThai"], p["NoiDungXuLy"]) for p in history["progress"]]
        assert len(entries) == len(set(entries)), "a progress entry was applied twice"
        assert [(p["NoiDungXuLy"], p["TrangThai"]) for p in history["progress"]] == STEPS_SYNCED
        final = [c for c in calls if c["service"] == "DongBoHoSoMC"][-1]["body"]["data"][0]
        assert final["MaHoSo"] == code and final["KenhThucHien"] == "2" and final["NoiNopHoSo"] == "1"
        assert final["DuocThanhToanTrucTuyen"] == "1" and final["TaiKhoanDuocXacThucVoiVNeID"] == "1"
        for name in ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra"):
            assert re.fullmatch(r"\d{14}", final[name]), (name, final[name])
        assert final["NgayNopHoSo"] == "20261207090000"
        indicators = requests.get(f"{base}/dvcqg-emulator/indicators", timeout=10).json()
        assert indicators, "the emulator computes the 766 indicators from what was synced"
