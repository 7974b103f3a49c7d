"""The emulator's validation of DongBoHoSoMC records and CapNhatTienDoHoSoMC entries over HTTP (each refusal
with its exact message), the QĐ 766 indicators it computes, and the ledger's applied history."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from dvcqg_world import DvcqgWorld, dvcqg_emulator

from connectors.dvcqg import DvcqgRefused
from connectors.dvcqg.emulator.indicators import applied_history, compute_from
from workflows.core.clock import ManualClock

START = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
CODE = "000.00.22.H60-261204-0001"


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = b"%PDF-1.4 tep" if self.path.startswith("/ok") else b""
        self.send_response(200 if self.path.startswith(("/ok", "/empty")) else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def world() -> Iterator[DvcqgWorld]:
    with dvcqg_emulator(ManualClock(START)) as world:
        yield world


def record(**changes: Any) -> dict[str, Any]:
    base = {"MaHoSo": CODE, "MaTTHC": "1.000501", "TenTTHC": "Quần vợt", "KenhThucHien": "2",
            "ChuHoSo": "Nguyễn Văn A", "LoaiDoiTuong": "1", "TrichYeuHoSo": "Cấp giấy chứng nhận",
            "NgayNopHoSo": "20261204090000", "NgayTiepNhan": "20261204091500", "NgayHenTra": "20261215170000",
            "TrangThaiHoSo": "2", "DonViXuLy": "Sở Văn hóa, Thể thao và Du lịch",
            "TaiKhoanDuocXacThucVoiVNeID": "1", "DuocThanhToanTrucTuyen": "0", "TaiLieuNop": [],
            "DanhSachGiayToKetQua": []}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def refusal(world: DvcqgWorld, data: dict[str, Any], *, service: str = "DongBoHoSoMC") -> str:
    with pytest.raises(DvcqgRefused) as caught:
        world.client().call(service, {"isUpdating": "False", "data": [data]})
    assert caught.value.code == "-1"
    return caught.value.message


def test_a_good_record_passes_and_a_second_create_is_refused(world: DvcqgWorld, files: str) -> None:
    good = record(TaiLieuNop=[{"TepDinhKemId": "1", "TenTepDinhKem": "don.pdf", "MaThanhPhanHoSo": "TP1",
                               "DuongDanTaiTepTin": f"{files}/ok/don.pdf"}])
    world.client().call("DongBoHoSoMC", {"isUpdating": "False", "data": [good]})
    assert world.state.records[CODE]["TrangThaiHoSo"] == "2"
    assert refusal(world, good) == f"Hồ sơ {CODE} đã tồn tại"
    world.client().call("DongBoHoSoMC", {"isUpdating": "True", "data": [{**good, "TrangThaiHoSo": "4"}]})
    assert world.state.records[CODE]["TrangThaiHoSo"] == "4"


@pytest.mark.parametrize(("changes", "message"), [
    ({"MaTTHC": None}, "thiếu trường bắt buộc MaTTHC"),
    ({"DonViXuLy": ""}, "thiếu trường bắt buộc DonViXuLy"),
    ({"NgayHenTra": None}, "thiếu trường bắt buộc NgayHenTra"),
    ({"TrangThaiHoSo": "3", "NgayTuChoi": None}, "thiếu trường bắt buộc NgayTuChoi"),
    ({"NgayTiepNhan": "2025-07-15"}, "NgayTiepNhan '2025-07-15' không đúng định dạng yyyyMMddHHmmss"),
    ({"NgayNopHoSo": "20260231090000"}, "NgayNopHoSo '20260231090000' không đúng định dạng yyyyMMddHHmmss"),
    ({"TrangThaiHoSo": "11"}, "TrangThaiHoSo '11' không hợp lệ (giá trị cho phép: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)"),
    ({"KenhThucHien": "4"}, "KenhThucHien '4' không hợp lệ (giá trị cho phép: 1, 2, 3)"),
    ({"LoaiDoiTuong": "5"}, "LoaiDoiTuong '5' không hợp lệ (giá trị cho phép: 1, 2, 3, 4)"),
    ({"TaiKhoanDuocXacThucVoiVNeID": "2"}, "TaiKhoanDuocXacThucVoiVNeID '2' không hợp lệ (giá trị cho phép: 0, 1)"),
    ({"LoaiDoiTuong": 1}, "LoaiDoiTuong phải là chuỗi ký tự"),
])
def test_each_refusal_names_the_record_and_the_field(world: DvcqgWorld, changes: dict[str, Any],
                                                     message: str) -> None:
    assert refusal(world, record(**changes)) == f"Hồ sơ {CODE}: {message}"
    assert CODE not in world.state.records


def test_the_prefix_must_be_our_agency_in_full_or_short_form(world: DvcqgWorld) -> None:
    wrong = "000.00.14.H60-261204-0002"
    assert refusal(world, record(MaHoSo=wrong)) == (
        f"Hồ sơ {wrong}: tiền tố mã hồ sơ '000.00.14.H60' không khớp mã đơn vị 000.00.22.H60 hoặc H60.22")
    world.client().call("DongBoHoSoMC", {"isUpdating": "False", "data": [record(MaHoSo="H60.22-261204-0003")]})
    assert "H60.22-261204-0003" in world.state.records


def test_an_unfetchable_link_is_refused_by_name_unless_the_check_is_off(world: DvcqgWorld, files: str) -> None:
    results = [{"TenGiayTo": "Giấy chứng nhận", "GiayToId": "1", "MaGiayToKetQua": "KQ1",
                "DuongDanTepTinKetQua": f"{files}/missing.pdf"}]
    assert refusal(world, record(DanhSachGiayToKetQua=results)) == (
        f"Hồ sơ {CODE}: không tải được tệp DanhSachGiayToKetQua[0].DuongDanTepTinKetQua '{files}/missing.pdf'")
    empty = [{"TepDinhKemId": "1", "DuongDanTaiTepTin": f"{files}/empty.pdf"}]
    assert refusal(world, record(TaiLieuNop=empty)) == (
        f"Hồ sơ {CODE}: không tải được tệp TaiLieuNop[0].DuongDanTaiTepTin '{files}/empty.pdf'")
    assert requests.post(f"{world.base}/checks", json={"file_links": False}, timeout=5).json() == {
        "file_links": False}
    world.client().call("DongBoHoSoMC", {"isUpdating": "False", "data": [record(TaiLieuNop=empty)]})
    assert CODE in world.state.records


def test_progress_entries_are_checked(world: DvcqgWorld) -> None:
    client = world.client()
    client.call("DongBoHoSoMC", {"isUpdating": "False", "data": [record()]})
    entry = {"MaHoSo": CODE, "NguoiXuLy": "Trần Thị B", "ThoiDiemXuLy": "20261204100000",
             "NoiDungXuLy": "Chuyển thẩm định", "TrangThai": "4"}
    for changes, message in [
        ({"MaHoSo": "000.00.22.H60-261204-0999"}, "Hồ sơ 000.00.22.H60-261204-0999 không tồn tại"),
        ({"TrangThai": "0"}, f"Hồ sơ {CODE}: TrangThai '0' không hợp lệ (giá trị cho phép: 1..10)"),
        ({"ThoiDiemXuLy": "04/12/2026"}, f"Hồ sơ {CODE}: ThoiDiemXuLy '04/12/2026' không đúng định dạng "
                                         "yyyyMMddHHmmss"),
        ({"NguoiXuLy": "A" * 51}, f"Hồ sơ {CODE}: NguoiXuLy dài quá 50 ký tự"),
        ({"NoiDungXuLy": None}, f"Hồ sơ {CODE}: tiến độ thiếu trường bắt buộc NoiDungXuLy"),
    ]:
        bad = {k: v for k, v in {**entry, **changes}.items() if v is not None}
        with pytest.raises(DvcqgRefused) as caught:
            client.call("CapNhatTienDoHoSoMC", {"data": [bad]})
        assert caught.value.message == message
    client.call("CapNhatTienDoHoSoMC", {"data": [entry]})
    client.call("DongBoHoSoMC", {"isUpdating": "True", "data": [record(TrangThaiHoSo="4")]})
    history = applied_history(world.ledger())
    assert history == {CODE: {"statuses": ["2", "4"], "progress": [entry]}}


def test_indicators_from_a_small_set_of_records(world: DvcqgWorld) -> None:
    fee = [{"TenPhiLePhi": "Phí thẩm định", "Gia": "200000"}]
    result = [{"TenGiayTo": "Giấy chứng nhận", "MaGiayToKetQua": "KQ1", "DuongDanTepTinKetQua": "http://x/kq"}]
    rows = [
        record(MaHoSo="A", TrangThaiHoSo="10", NgayKetThucXuLy="20261210100000", DanhSachLePhi=fee,
               DuocThanhToanTrucTuyen="1", DanhSachGiayToKetQua=result),
        record(MaHoSo="B", TrangThaiHoSo="9", NgayKetThucXuLy="20261216100000", KenhThucHien="1",
               DanhSachLePhi=fee),
        record(MaHoSo="C", TrangThaiHoSo="4", TaiKhoanDuocXacThucVoiVNeID="0"),
    ]
    by_code = {i["code"]: (i["numerator"], i["denominator"], i["value"]) for i in compute_from(rows)}
    assert by_code == {"2.1": (1, 2, 50.0), "3.3": (2, 3, 66.67), "3.6": (1, 2, 50.0), "4.1": (1, 2, 50.0),
                       "4.5": (1, 2, 50.0)}
    world.client().call("DongBoHoSoMC", {"isUpdating": "False", "data": [record()]})
    over_http = requests.get(f"{world.base}/indicators", timeout=5).json()["indicators"]
    assert [(i["code"], i["numerator"], i["denominator"]) for i in over_http] == [
        ("2.1", 0, 0), ("3.3", 1, 1), ("3.6", 0, 0), ("4.1", 0, 0), ("4.5", 1, 1)]
    assert over_http[0]["name"] == "Tỷ lệ hồ sơ giải quyết đúng hạn"
