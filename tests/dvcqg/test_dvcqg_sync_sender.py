"""The wire format of the status sync and its sender against the DVCQG emulator on a real port: field
mapping, dates in Vietnam time, exactly once after a lost answer, refusals told apart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from dvcqg_world import dvcqg_emulator

from connectors.dvcqg import DvcqgRefused
from connectors.dvcqg.sender import DONG_BO, TIEN_DO, DvcqgRecipient, DvcqgSender, refusal
from connectors.dvcqg.wire import (
    DossierRecord,
    FeeItem,
    ProgressEntry,
    SubmittedFile,
    SupplementRound,
    dong_bo_params,
    tien_do_params,
    to_wire_date,
)
from connectors.outbox import OutgoingMessage, PermanentDelivery, RetryableDelivery
from connectors.outbox.relay import UNKNOWN_OUTCOME
from workflows.core.clock import ManualClock

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi
CODE = "H60.22-261124-0001"
RECIPIENT = DvcqgRecipient(zalo_user_id=None, phone_84=None, display_name="Nguyễn Văn An", phone="0912345678",
                           id_number="008190012345")


def record(status: int = 1, **extra: Any) -> DossierRecord:
    return DossierRecord(code=CODE, procedure_code="1.000501", procedure_name="Công nhận hạng cơ sở lưu trú",
                         field_name="Du lịch", channel="counter", applicant_name="Nguyễn Văn An", status=status,
                         submitted_at=AT, agency_name="Sở Văn hóa, Thể thao và Du lịch", **extra)


def message(kind: str, payload: dict[str, Any], *, uncertain: bool = False, mid: int = 1) -> OutgoingMessage:
    return OutgoingMessage(id=mid, idempotency_key=f"k{mid}", kind=kind, subject_ref=f"dvcqg:{CODE}",
                           recipient_ref=CODE, payload=payload, attempts=0, parts_done=0, uncertain=uncertain)


def sync(rec: DossierRecord, *, first: bool, uncertain: bool = False, mid: int = 1) -> OutgoingMessage:
    return message(DONG_BO, {"record": rec.to_payload(), "first": first}, uncertain=uncertain, mid=mid)


class TestWire:
    def test_fields_dates_and_cuts(self) -> None:
        rec = record(status=6, received_at=AT, summary="x" * 1200, paid_online=True, phone="0912345678",
                     id_number="008190012345", fees=(FeeItem(name="Phí thẩm định", amount=1500000),),
                     files=(SubmittedFile(file_id=7, name="don.pdf", link="https://x/f/7"),),
                     supplements=(SupplementRound(round_id="BS1", requested_by="mot_cua", content="Thiếu bản sao",
                                                  requested_at=AT, items=("Bản sao CCCD",)),))
        data = dong_bo_params([rec], updating=False)
        assert data["isUpdating"] == "False"
        fields = data["data"][0]
        assert fields["NgayNopHoSo"] == "20261124090000" and fields["NgayTra"] == ""
        assert len(fields["TrichYeuHoSo"]) == 1000
        assert fields["TrangThaiHoSo"] == "6" and fields["KenhThucHien"] == "1" and fields["NoiNopHoSo"] == "2"
        assert fields["DuocThanhToanTrucTuyen"] == "1" and fields["HoSoCoThanhPhanSoHoa"] == "1"
        assert fields["DanhSachLePhi"] == [{"TenPhiLePhi": "Phí thẩm định", "MaPhiLePhi": "", "HinhThucThu": "1",
                                            "Gia": "1500000", "LoaiPhiLePhi": "1"}]
        assert fields["DanhSachHoSoBoSung"][0]["DanhSachGiayToBoSung"] == [{"TenGiayTo": "Bản sao CCCD"}]
        assert fields["DanhSachHoSoBoSung"][0]["TrangThaiBoSung"] == "0"
        assert fields["DinhDanhCHS"] == [{"LoaiDinhDanh": "1", "SoDinhDanh": "008190012345"}]
        assert all(isinstance(v, str | list) for v in fields.values())
        entry = ProgressEntry(code=CODE, official_name="N" * 60, content="Thẩm định hồ sơ", status=4, at=AT)
        assert tien_do_params([entry])["data"][0]["NguoiXuLy"] == "N" * 50

    def test_payload_round_trip_keeps_no_personal_numbers(self) -> None:
        rec = record(status=2, received_at=AT, phone="0912345678", id_number="008190012345",
                     supplements=(SupplementRound(round_id="BS1", requested_by="a", content="b", requested_at=AT),))
        payload = rec.to_payload()
        assert "0912345678" not in str(payload) and "008190012345" not in str(payload)
        assert DossierRecord.from_payload(payload) == rec.without_personal_numbers()
        with pytest.raises(ValueError):
            to_wire_date(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose


class TestSender:
    def test_a_lost_create_is_replaced_and_an_uncertain_entry_not_repeated(self) -> None:
        clock = ManualClock(AT)
        with dvcqg_emulator(clock) as world:
            sender = DvcqgSender(client=world.client(), now=clock.now, link_for=lambda i: f"{world.base}/f/{i}")
            sender.send(sync(record(), first=True), RECIPIENT)
            sender.send(sync(record(), first=True, mid=2), RECIPIENT)  # a retried create: "đã tồn tại" → replace
            assert world.state.records[CODE]["SoDienThoai"] == "0912345678"
            entry = ProgressEntry(code=CODE, official_name="Trần Văn Bình", content="Tiếp nhận hồ sơ", status=2,
                                  at=AT)
            sender.send(message(TIEN_DO, {"entry": entry.to_payload()}), RECIPIENT)
            result = sender.send(message(TIEN_DO, {"entry": entry.to_payload()}, uncertain=True), RECIPIENT)
            assert result.note and "already held" in result.note
            assert len(world.state.progress[CODE]) == 1
            # An uncertain replace of a record DVCQG already holds is not sent again.
            calls = len(world.ledger())
            sender.send(sync(record(), first=False, uncertain=True), RECIPIENT)
            assert [e["service"] for e in world.ledger()[calls:]] == ["TraCuuHoSo"]
            services = [(e["service"], e["body"].get("isUpdating"), e["outcome"]) for e in world.ledger()
                        if e["service"] == "DongBoHoSoMC"]
            assert services == [("DongBoHoSoMC", "False", "ok"), ("DongBoHoSoMC", "False", "refused"),
                                ("DongBoHoSoMC", "True", "ok")]

    def test_a_file_the_portal_could_not_fetch_is_retried_and_a_wrong_record_is_not(self) -> None:
        link = "DanhSachGiayToKetQua[0].DuongDanTepTinKetQua 'https://motcua.example/files/kq.pdf'"
        fetch = refusal(DvcqgRefused("-1", f"Hồ sơ H60.22-261124-0404: không tải được tệp {link}"), uncertain=False)
        assert isinstance(fetch, RetryableDelivery)
        assert str(fetch) == ("DVCQG could not fetch a file, retried: error_code -1: Hồ sơ H60.22-261124-0404: "
                              f"không tải được tệp {link}")
        wrong = refusal(DvcqgRefused("-1", "Hồ sơ H60.22-261124-0404: NgayHenTra sai định dạng"), uncertain=False)
        assert isinstance(wrong, PermanentDelivery)
        assert str(wrong) == "DVCQG từ chối (mã -1): Hồ sơ H60.22-261124-0404: NgayHenTra sai định dạng"

    def test_refusals_busy_and_timeouts(self) -> None:
        clock = ManualClock(AT)
        with dvcqg_emulator(clock, fault_timeout_seconds=3.0) as world:
            sender = DvcqgSender(client=world.client(timeout=1.0), now=clock.now, link_for=str)
            entry = ProgressEntry(code="H60.22-261124-0404", official_name="A", content="B", status=4, at=AT)
            with pytest.raises(PermanentDelivery, match=r"^DVCQG từ chối \(mã -1\): Hồ sơ H60.22-261124-0404 "
                                                        r"không tồn tại$"):
                sender.send(message(TIEN_DO, {"entry": entry.to_payload()}), RECIPIENT)
            world.state.set_faults(rate=1.0, kinds=("error",), seed=1)
            with pytest.raises(RetryableDelivery, match="busy"):
                sender.send(sync(record(), first=True), RECIPIENT)
            world.state.set_faults(rate=1.0, kinds=("timeout_after_apply",), seed=1)
            with pytest.raises(RetryableDelivery, match=UNKNOWN_OUTCOME):
                sender.send(sync(record(), first=True), RECIPIENT)
            world.state.set_faults(rate=0.0, kinds=(), seed=1)
            sender.send(sync(record(), first=True, uncertain=True), RECIPIENT)  # found identical: skipped
            assert [e["outcome"] for e in world.ledger() if e["service"] == "DongBoHoSoMC"] == [
                "error", "timeout_after_apply"]
