"""Issue 19 part 3 through HTTP: a desk dossier walked to its result is synced to the DVCQG emulator (one
create, then replaces and progress entries in order, each applied once); with a third of the calls failing
and a worker killed mid-walk the applied calls end the same; a refused record is dead, shown to the
administrator with DVCQG's reason, and sent again once the cause is fixed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from live import dvcqg_emulator_state, live_server, wait_for
from sqlmodel import Session, select

from connectors.outbox import OutboxMessage, OutboxRelay, Recipient
from connectors.outbox.models import SENDING
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.dossiers import national_sync

PROCEDURE = "VHTTDL-LUU-TRU-1-3-SAO"
APPLICANT = {"full_name": "Nguyễn Thị Hồng Nhung", "id_number": "008190012345", "phone": "0912345678",
             "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang"}
# The procedure is the tourism division's (its competence, issue 20): its head and case officer act.
ROLE_USER = {"MOT_CUA": "mot_cua", "LANH_DAO_PHONG": "lanh_dao_phong_dl", "CHUYEN_VIEN": "chuyen_vien_dl",
             "LANH_DAO_SO": "lanh_dao_so", "VAN_THU": "van_thu"}
WALK = [
    ("phan_cong", {"case_officer": "chuyen_vien_dl"}),
    ("tham_dinh", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"}),
    ("thu_phi", {"da_nop": True, "so_bien_lai": "BL-0001"}),
    ("xem_xet", {"quyet_dinh": "trinh_ky", "y_kien": "Trình ký"}),
    ("ky_duyet", {"quyet_dinh": "ky", "y_kien": "Đồng ý"}),
    ("phat_hanh", {"so_van_ban": "125/QĐ-SVHTTDL", "ngay_ban_hanh": "2026-11-27"}),
    ("tra_ket_qua", {"hinh_thuc_tra": "truc_tiep"}),
]
OBSERVED_STATUSES = [1, 2, 4, 6, 4, 9, 10]  # the national statuses the walk goes through, in order
APPLIED = ("ok", "timeout_after_apply")  # ledger outcomes whose call took effect
WIRE_DATE = re.compile(r"^\d{14}$")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def dvcqg_settings(settings: Settings, **sync: Any) -> Settings:
    dvcqg = settings.dvcqg
    return settings.model_copy(update={"dvcqg": dvcqg.model_copy(update={
        "adapter": dvcqg.adapter.model_copy(update={"timeout_seconds": 1.0}),  # the emulator stalls 20 s
        "sync": dvcqg.sync.model_copy(update={"retry_base_seconds": 1.0, "retry_max_seconds": 4.0,
                                              "max_attempts": 40, **sync})})})


@pytest.fixture
def now_clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))


class Desk:
    def __init__(self, base: str) -> None:
        self.base = base
        self._tokens: dict[str, dict[str, str]] = {}

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            response = requests.post(f"{self.base}/api/v1/auth/token",
                                     data={"username": username, "password": "motcua-demo"}, timeout=10)
            self._tokens[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self._tokens[username]

    def intake(self) -> str:
        response = requests.post(f"{self.base}/api/v1/dossiers", headers=self.headers("mot_cua"), timeout=30,
                                 json={"procedure_code": PROCEDURE, "channel": "counter", "accept": True,
                                       "applicant": APPLICANT})
        assert response.status_code == 201, response.text
        code = str(response.json()["code"])
        uploaded = requests.post(f"{self.base}/api/v1/dossiers/{code}/documents", headers=self.headers("mot_cua"),
                                 data={"note": "Đơn đề nghị"}, timeout=10,
                                 files={"file": ("don-de-nghi.pdf", PDF, "application/pdf")})
        assert uploaded.status_code == 201, uploaded.text
        return code

    def step(self, code: str, step: str, data: dict[str, Any]) -> None:
        detail = requests.get(f"{self.base}/api/v1/dossiers/{code}", headers=self.headers("mot_cua"),
                              timeout=10).json()
        assert "current_steps" in detail, detail
        current = detail["current_steps"]
        assert len(current) == 1 and current[0]["step"] == step, (detail["status"], current)
        user = current[0]["assignee"] or ROLE_USER[current[0]["role"]]
        response = requests.post(f"{self.base}/api/v1/tasks/{current[0]['task_id']}/complete",
                                 json={"data": data}, headers=self.headers(user), timeout=30)
        assert response.status_code == 200, response.text


def ledger(base: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{base}/dvcqg-emulator/ledger", timeout=10).json()["entries"])


def applied(base: str, code: str) -> list[dict[str, Any]]:
    """The calls about `code` that took effect, in the order DVCQG applied them."""
    return [e for e in ledger(base) if e["outcome"] in APPLIED
            and e["service"] in ("DongBoHoSoMC", "CapNhatTienDoHoSoMC")
            and any(r.get("MaHoSo") == code for r in e["body"].get("data") or [])]


def sync_rows(wiring: Any, code: str) -> list[OutboxMessage]:
    with Session(wiring.db) as session:
        return national_sync.sync_items(session, code=code)


def all_sent(wiring: Any, code: str, count: int | None = None) -> bool:
    rows = sync_rows(wiring, code)
    return bool(rows) and all(r.status == "sent" for r in rows) and (count is None or len(rows) == count)


def summary(calls: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """What DVCQG holds after the calls: (create/update, status) and (progress, step, status)."""
    out: list[tuple[str, ...]] = []
    for call in calls:
        data = call["body"]["data"][0]
        if call["service"] == "DongBoHoSoMC":
            out.append(("update" if call["body"]["isUpdating"] == "True" else "create", data["TrangThaiHoSo"]))
        else:
            out.append(("progress", data["NoiDungXuLy"], data["TrangThai"]))
    return out


def walk(base: str) -> str:
    desk = Desk(base)
    code = desk.intake()
    for step, data in WALK:
        desk.step(code, step, data)
    return code


class TestStatusSync:
    def test_a_desk_dossier_walked_to_its_result(
        self, settings: Settings, now_clock: ManualClock, db: Any
    ) -> None:
        with live_server(dvcqg_settings(settings), now_clock) as (base, wiring):
            code = walk(base)
            assert wait_for(lambda: all_sent(wiring, code)), [(r.kind, r.status, r.last_error)
                                                                for r in sync_rows(wiring, code)]
            calls = applied(base, code)
            records = [c["body"]["data"][0] for c in calls if c["service"] == "DongBoHoSoMC"]
            assert [c["body"]["isUpdating"] for c in calls if c["service"] == "DongBoHoSoMC"] == (
                ["False"] + ["True"] * (len(records) - 1))
            assert [int(r["TrangThaiHoSo"]) for r in records] == OBSERVED_STATUSES
            assert calls[0]["service"] == "DongBoHoSoMC", "the create comes before any progress entry"
            progress = [c["body"]["data"][0] for c in calls if c["service"] == "CapNhatTienDoHoSoMC"]
            assert [(p["NoiDungXuLy"], p["TrangThai"]) for p in progress][-len(WALK):] == [
                ("Phân công thụ lý", "4"), ("Thẩm định hồ sơ", "6"), ("Thực hiện nghĩa vụ tài chính", "4"),
                ("Xem xét, trình ký", "4"), ("Ký duyệt", "4"), ("Vào sổ, phát hành", "9"),
                ("Trả kết quả", "10")], progress
            keys = [(p["ThoiDiemXuLy"], p["NoiDungXuLy"], p["TrangThai"]) for p in progress]
            assert len(keys) == len(set(keys)), "no progress entry applied twice"
            assert len(records) == len({r["TrangThaiHoSo"] for r in records}) + 1, "4 twice, nothing else"
            # Dates as the spec writes them, set when they happened.
            first, accepted, done, returned = records[0], records[1], records[5], records[6]
            assert WIRE_DATE.match(first["NgayNopHoSo"]) and first["NgayTiepNhan"] == ""
            assert WIRE_DATE.match(accepted["NgayTiepNhan"]) and WIRE_DATE.match(accepted["NgayHenTra"])
            assert first["NgayNopHoSo"] == "20261124090000", "Vietnam time"
            assert WIRE_DATE.match(done["NgayKetThucXuLy"]) and done["NgayTra"] == ""
            assert WIRE_DATE.match(returned["NgayTra"])
            assert returned["MaHoSo"] == code and code.startswith("H60.22")
            assert returned["KenhThucHien"] == "1" and returned["NoiNopHoSo"] == "2"
            assert returned["DuocThanhToanTrucTuyen"] == "0" and returned["HinhThuc"] == "0"
            assert returned["SoDienThoai"] == APPLICANT["phone"]
            assert returned["DinhDanhCHS"] == [{"LoaiDinhDanh": "1", "SoDinhDanh": APPLICANT["id_number"]}]
            assert WIRE_DATE.match(progress[-1]["ThoiDiemXuLy"]) and progress[-1]["NguoiXuLy"]
            # The submitted file is fetchable through its signed link, and nothing personal is in the link.
            files = returned["TaiLieuNop"]
            assert [f["TenTepDinhKem"] for f in files] == ["don-de-nghi.pdf"]
            link = files[0]["DuongDanTaiTepTin"]
            assert link.startswith(f"{base}/api/v1/dvcqg/files/") and APPLICANT["id_number"] not in link
            fetched = requests.get(link, timeout=10)
            assert fetched.status_code == 200 and fetched.content == PDF
            forged = requests.get(link[:-3] + "abc", timeout=10)
            assert forged.status_code == 404
            # No phone or ID number is stored in the outbox.
            for row in sync_rows(wiring, code):
                assert APPLICANT["phone"] not in str(row.payload) and APPLICANT["id_number"] not in str(row.payload)
            # Officials who may view the dossier see its sync; the readiness probe reports it.
            view = requests.get(f"{base}/api/v1/dossiers/{code}/dvcqg", headers=Desk(base).headers("mot_cua"),
                                timeout=10)
            assert view.status_code == 200
            items = view.json()["items"]
            assert [i["national_status"] for i in items if i["kind"] == "dvcqg.dong_bo"] == OBSERVED_STATUSES
            assert all(i["status_name"] == "Đã đồng bộ" for i in items)
            ready = requests.get(f"{base}/readyz", headers=Desk(base).headers("quan_tri"), timeout=10).json()
            assert ready["dvcqg"]["dead"] == 0 and ready["dvcqg"]["last_success_at"]

    def test_faults_and_a_killed_worker_end_the_same(
        self, settings: Settings, now_clock: ManualClock, db: Any
    ) -> None:
        with live_server(dvcqg_settings(settings), now_clock) as (base, wiring):
            clean = walk(base)
            assert wait_for(lambda: all_sent(wiring, clean)), sync_rows(wiring, clean)
            faults = requests.post(f"{base}/dvcqg-emulator/faults", timeout=5, json={
                "rate": 0.33, "seed": 19, "kinds": ["http_500", "timeout", "timeout_after_apply", "error"]})
            assert faults.status_code == 200, faults.text

            def kill_a_worker(index: int, code: str) -> None:
                if index != 3:
                    return
                # A worker claims the dossier's next row, sends it and dies before recording anything: the
                # row stays `sending` under its lease; another pass takes it over once the lease ends.
                wiring.scheduler.stop()
                wiring.dvcqg_relay.stop()
                wait_for(lambda: not any(r.status == SENDING for r in sync_rows(wiring, code)), timeout=30)
                Desk(base).step(code, *WALK[index])  # queues a status change and a progress entry
                relay = OutboxRelay(db_engine=wiring.db, sender=Dies(wiring.dvcqg_relay._sender),
                                    resolve_recipient=national_sync.DvcqgApplicants(wiring.db, wiring.cipher),
                                    now=now_clock.now, channel="dvcqg")
                with pytest.raises(WorkerKilled):  # the first due row of the dossier's
                    for _ in range(100):
                        now_clock.advance(timedelta(seconds=5))  # past the backoff of a faulty earlier call
                        relay.run_once(1)
                assert any(r.status == SENDING for r in sync_rows(wiring, code))
                now_clock.advance(timedelta(minutes=6))  # the dead worker's lease runs out
                wiring.dvcqg_relay.start()
                wiring.scheduler.start()

            desk = Desk(base)
            code = desk.intake()
            for index, (step, data) in enumerate(WALK):
                kill_a_worker(index, code)
                if index == 3:
                    continue  # done by kill_a_worker
                desk.step(code, step, data)
            assert wait_for(lambda: all_sent(wiring, code, count=len(sync_rows(wiring, clean))), timeout=240,
                            tick=lambda: now_clock.advance(timedelta(seconds=1))), [
                (r.kind, r.status, r.attempts, r.last_error) for r in sync_rows(wiring, code)]
            outcomes = {e["outcome"] for e in ledger(base)}
            assert {"timeout", "http_500", "error"} & outcomes, outcomes

            def shape(calls: list[dict[str, Any]]) -> list[tuple[str, ...]]:
                return [tuple(part for part in item) for item in summary(calls)]

            assert shape(applied(base, code)) == shape(applied(base, clean))


class WorkerKilled(BaseException):
    """The process died (not an error the relay handles)."""


class Dies:
    def __init__(self, sender: Any) -> None:
        self.sender = sender

    def send(self, message: Any, recipient: Recipient) -> Any:
        try:
            self.sender.send(message, recipient)  # applied, or failed, or unknown: the worker dies anyway
        finally:
            raise WorkerKilled()  # noqa: B012


class TestCommuneDossiers:
    def test_a_commune_desk_dossier_is_synced_as_the_communes(
        self, settings: Settings, now_clock: ManualClock, db: Any
    ) -> None:
        """Issue 20: a dossier received at a commune's desk carries the commune's code, and its calls name the
        commune's mã định danh (`madonvi`), so DVCQG's prefix check passes and counts it for the commune."""
        with live_server(dvcqg_settings(settings), now_clock) as (base, wiring):
            desk = Desk(base)
            response = requests.post(f"{base}/api/v1/dossiers", headers=desk.headers("mot_cua_xa1"), timeout=30,
                                     json={"procedure_code": PROCEDURE, "channel": "counter", "accept": True,
                                           "facts": {"hang_de_nghi": "mot_hai_sao"}, "applicant": APPLICANT})
            assert response.status_code == 201, response.text
            code = str(response.json()["code"])
            assert code.startswith("H60.71-"), code
            assert wait_for(lambda: all_sent(wiring, code)), [(r.kind, r.status, r.last_error)
                                                                for r in sync_rows(wiring, code)]
            calls = applied(base, code)
            assert calls and {c["body"]["madonvi"] for c in calls} == {"000.00.71.H60"}
            created = next(c["body"]["data"][0] for c in calls if c["service"] == "DongBoHoSoMC")
            assert created["MaHoSo"] == code


class TestRefusedRecords:
    def test_a_refused_record_is_dead_shown_and_resent_after_the_fix(
        self, settings: Settings, now_clock: ManualClock, db: Any
    ) -> None:
        with live_server(dvcqg_settings(settings), now_clock) as (base, wiring):
            state = dvcqg_emulator_state(base)
            real = state.services["DongBoHoSoMC"]

            def refuse(state: Any, body: dict[str, Any]) -> dict[str, Any]:
                from connectors.dvcqg.emulator import EmuRefusal

                raise EmuRefusal("-1", "MaTTHC không có trong CSDL quốc gia về TTHC")

            state.services["DongBoHoSoMC"] = refuse
            code = Desk(base).intake()
            admin = Desk(base).headers("quan_tri")

            def dead() -> list[dict[str, Any]]:
                page = requests.get(f"{base}/api/v1/admin/dvcqg/sync", params={"status": "dead"}, headers=admin,
                                    timeout=10).json()
                return [i for i in page["items"] if i["dossier_code"] == code]

            items = wait_for(dead)
            assert len(items) == 1, sync_rows(wiring, code)
            create = items[0]
            assert create["kind"] == "dvcqg.dong_bo" and create["status_name"] == "Đồng bộ thất bại"
            assert create["last_error"] == ("DVCQG từ chối (mã -1): MaTTHC không có trong CSDL quốc gia về TTHC")
            assert requests.get(f"{base}/api/v1/admin/dvcqg/sync", headers=Desk(base).headers("mot_cua"),
                                timeout=10).status_code == 403
            ready = requests.get(f"{base}/readyz", headers=admin, timeout=10).json()
            assert ready["dvcqg"]["dead"] >= 1

            # The dossier's later calls wait behind the refused create (they build on it), in order.
            waiting = [(r.kind, r.status) for r in sync_rows(wiring, code)][1:]
            assert waiting == [("dvcqg.dong_bo", "pending"), ("dvcqg.dong_bo", "pending"),
                               ("dvcqg.tien_do", "pending")], waiting
            view = requests.get(f"{base}/api/v1/dossiers/{code}/dvcqg", headers=Desk(base).headers("mot_cua"),
                                timeout=10).json()["items"]
            assert [i["status_name"] for i in view] == ["Đồng bộ thất bại"] + ["Đang chờ gửi"] * 3

            state.services["DongBoHoSoMC"] = real  # the cause is fixed
            resent = requests.post(f"{base}/api/v1/admin/dvcqg/sync/{create['id']}/resend", headers=admin,
                                   timeout=10)
            assert resent.status_code == 200, resent.text
            assert resent.json()["status"] == "pending"
            # The clock moves on so that a call failing on the way (a busy test machine) is retried as in
            # production: what is tested is that the resent create releases the calls waiting behind it.
            assert wait_for(lambda: all_sent(wiring, code), tick=lambda: now_clock.advance(timedelta(seconds=1))), [
                (r.kind, r.status, r.last_error) for r in sync_rows(wiring, code)]
            again = requests.post(f"{base}/api/v1/admin/dvcqg/sync/{create['id']}/resend", headers=admin, timeout=10)
            assert again.status_code == 409 and again.json()["code"] == "dvcqg_sync_already_sent"
            with Session(wiring.db) as session:
                row = session.exec(select(OutboxMessage).where(OutboxMessage.id == create["id"])).one()
                assert row.status == "sent"
            assert summary(applied(base, code)) == [("create", "1"), ("update", "2"), ("update", "4"),
                                                    ("progress", "Tiếp nhận hồ sơ", "4")]


class TestSupplementRounds:
    def test_a_desk_supplement_is_a_round_of_the_record(
        self, settings: Settings, now_clock: ManualClock, db: Any
    ) -> None:
        with live_server(dvcqg_settings(settings), now_clock) as (base, wiring):
            desk = Desk(base)
            response = requests.post(f"{base}/api/v1/dossiers", headers=desk.headers("mot_cua"), timeout=30,
                                     json={"procedure_code": PROCEDURE, "channel": "counter",
                                           "applicant": APPLICANT})
            assert response.status_code == 201, response.text
            code = str(response.json()["code"])
            missing = "Bản sao chứng thực Giấy chứng nhận đăng ký doanh nghiệp"
            desk.step(code, "tiep_nhan", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu giấy tờ",
                                          "giay_to_thieu": [missing]})
            now_clock.advance(timedelta(days=1))
            desk = Desk(base)  # a new day, a new login
            desk.step(code, "nhan_bo_sung", {"da_bo_sung": True, "ghi_chu": "Đã nhận bản sao chứng thực"})
            desk.step(code, "tiep_nhan", {"quyet_dinh": "tiep_nhan"})
            assert wait_for(lambda: all_sent(wiring, code, count=7)), [(r.kind, r.status) for r in
                                                                       sync_rows(wiring, code)]
            records = [c["body"]["data"][0] for c in applied(base, code) if c["service"] == "DongBoHoSoMC"]
            assert [r["TrangThaiHoSo"] for r in records] == ["1", "5", "2", "4"]
            asked, accepted = records[1]["DanhSachHoSoBoSung"], records[2]["DanhSachHoSoBoSung"]
            assert asked == [{
                "HoSoBoSungId": f"{code}-BS1", "NguoiYeuCauBoSung": asked[0]["NguoiYeuCauBoSung"],
                "NoiDungBoSung": missing, "NgayBoSung": "20261124090000", "NgayTiepNhanBoSung": "",
                "TrangThaiBoSung": "0", "DanhSachGiayToBoSung": [{"TenGiayTo": missing}], "NgayHenTraTruoc": "",
                "NgayHenTraMoi": ""}]
            assert asked[0]["NguoiYeuCauBoSung"] and asked[0]["NguoiYeuCauBoSung"] != "mot_cua", "a full name"
            assert accepted[0]["TrangThaiBoSung"] == "1" and accepted[0]["NgayTiepNhanBoSung"] == "20261125090000"
            assert WIRE_DATE.match(accepted[0]["NgayHenTraMoi"]), accepted
            assert records[3]["DanhSachHoSoBoSung"] == accepted
