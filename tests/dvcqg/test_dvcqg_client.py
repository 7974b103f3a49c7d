"""The adapter client against the emulator over HTTP: login, an expired session renewed once, refusals,
faults as DvcqgUnavailable (with whether the call may have taken effect), and the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dvcqg_world import DvcqgWorld, dvcqg_emulator

from connectors.dvcqg import DvcqgAuthFailed, DvcqgRefused, DvcqgUnavailable
from workflows.core.clock import ManualClock

START = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
# A record the emulator's validation accepts (connectors/dvcqg/emulator/integration.py), and a progress entry.
RECORD = {"MaHoSo": "000.00.22.H60-261204-0001", "MaTTHC": "1.000501", "TenTTHC": "Quần vợt",
          "KenhThucHien": "1", "ChuHoSo": "Nguyễn Văn A", "LoaiDoiTuong": "1", "TrichYeuHoSo": "Cấp giấy chứng nhận",
          "NgayNopHoSo": "20261204090000", "TrangThaiHoSo": "1", "DonViXuLy": "Sở Văn hóa, Thể thao và Du lịch"}
PROGRESS = {"MaHoSo": RECORD["MaHoSo"], "NguoiXuLy": "Trần Thị B", "ThoiDiemXuLy": "20261204090500",
            "NoiDungXuLy": "Tiếp nhận hồ sơ", "TrangThai": "1"}


@pytest.fixture
def world() -> Iterator[DvcqgWorld]:
    with dvcqg_emulator(ManualClock(START)) as world:
        yield world


def test_login_then_calls_share_the_session_until_it_expires(world: DvcqgWorld) -> None:
    client = world.client()
    client.call("DongBoHoSoMC", {"isUpdating": "False", "data": [RECORD]})
    client.call("CapNhatTienDoHoSoMC", {"data": [PROGRESS]})
    world.clock.advance(timedelta(minutes=31))  # the adapter's session is over
    reply = client.call("TraCuuHoSo", {"MaHoSo": RECORD["MaHoSo"]})
    assert reply["result"]["TrangThaiHoSo"] == "1"
    kinds = [(e["endpoint"], e["service"], e["outcome"]) for e in world.ledger()]
    assert kinds == [("login", None, "ok"), ("integration", "DongBoHoSoMC", "ok"),
                     ("integration", "CapNhatTienDoHoSoMC", "ok"), ("integration", "TraCuuHoSo", "refused"),
                     ("login", None, "ok"), ("integration", "TraCuuHoSo", "ok")]
    assert all("session" not in e["body"] for e in world.ledger())


def test_a_wrong_password_and_a_refusal_are_told_apart(world: DvcqgWorld) -> None:
    with pytest.raises(DvcqgAuthFailed):
        world.client(password="wrong").call("TraCuuHoSo", {"MaHoSo": "X"})
    client = world.client()
    client.call("DongBoHoSoMC", {"isUpdating": "False", "data": [RECORD]})
    with pytest.raises(DvcqgRefused) as refused:
        client.call("DongBoHoSoMC", {"isUpdating": "False", "data": [RECORD]})
    assert "đã tồn tại" in refused.value.message


@pytest.mark.parametrize(("kind", "maybe_applied", "applied"), [
    ("http_500", True, False), ("timeout", True, False), ("timeout_after_apply", True, True)])
def test_faults_are_unavailable_and_say_whether_the_call_may_have_applied(
        world: DvcqgWorld, kind: str, maybe_applied: bool, applied: bool) -> None:
    client = world.client(timeout=1.0)
    client.login()
    world.state.set_faults(rate=1.0, kinds=(kind,), seed=1)
    with pytest.raises(DvcqgUnavailable) as failed:
        client.call("DongBoHoSoMC", {"isUpdating": "False", "data": [RECORD]})
    assert failed.value.maybe_applied is maybe_applied
    assert (RECORD["MaHoSo"] in world.state.records) is applied


def test_an_unreachable_adapter_surely_applied_nothing() -> None:
    with dvcqg_emulator(ManualClock(START)) as world:
        client = world.client()
    with pytest.raises(DvcqgUnavailable) as failed:
        client.call("TraCuuHoSo", {"MaHoSo": "X"})
    assert failed.value.maybe_applied is False
