"""The catalogue's wire: LayThuTuc and LayDanhSachTTHC from the emulator's fixtures over HTTP, read into the
neutral NationalProcedure; units mapped, an unknown unit or a non-numeric time limit refused in Vietnamese."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from dvcqg_world import DvcqgWorld, dvcqg_emulator

from connectors.dvcqg import DvcqgRefused
from connectors.dvcqg.catalogue import CatalogueWireError, NationalFee, NationalResult, parse_procedure
from connectors.dvcqg.emulator.catalogue import load_fixtures
from workflows.core.clock import ManualClock
from workflows.procedures.spec import DATA_DIR, read_spec_file

LUU_TRU = "CHUA-XAC-MINH.LUU-TRU-1-3-SAO"


@pytest.fixture
def world() -> Iterator[DvcqgWorld]:
    with dvcqg_emulator(ManualClock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))) as world:
        yield world


def test_lay_thu_tuc_reads_into_the_neutral_record(world: DvcqgWorld) -> None:
    client = world.client()
    procedure = parse_procedure(client.call("LayThuTuc", {"maTTHC": LUU_TRU}, share=True))
    assert (procedure.national_code, procedure.time_limit_value, procedure.time_limit_unit) == (
        LUU_TRU, 20, "working_days")
    assert procedure.fees[1] == NationalFee(name="Phí thẩm định công nhận hạng cơ sở lưu trú du lịch",
                                            amount=2500000, description="Hạng 3 sao")
    assert procedure.results[1] == NationalResult(code="KQ.CHUA-XAC-MINH.LUU-TRU-1-3-SAO.BIEN",
                                                  name="Biển hiệu hạng cơ sở lưu trú du lịch")
    assert procedure.agencies[0].code == "000.00.22.H60"
    tennis = parse_procedure(client.call("LayThuTuc", {"maTTHC": "1.000501"}, share=True))
    assert tennis.fees[0].amount is None and len(tennis.components) == 4
    listed = client.call("LayDanhSachTTHC", {}, share=True)["result"]
    assert {item["MATTHC"] for item in listed} >= {"1.000501", LUU_TRU}
    with pytest.raises(DvcqgRefused) as caught:
        client.call("LayThuTuc", {"maTTHC": "9.999999"}, share=True)
    assert caught.value.message == "Không tìm thấy thủ tục hành chính có mã 9.999999"


def test_the_fixtures_describe_our_catalogue() -> None:
    fixtures = load_fixtures()
    ours = [read_spec_file(path) for path in sorted(DATA_DIR.glob("*.toml"))]
    assert len(fixtures) == len(ours)
    for spec in ours:
        if spec.national_code:
            assert fixtures[spec.national_code]["TENTTHC"] == spec.name


@pytest.mark.parametrize(("unit", "value", "message"), [
    ("Tháng", "1", f"Thủ tục {LUU_TRU}: đơn vị thời gian “Tháng” chưa được hỗ trợ"),
    ("Ngày làm việc", "0,5", f"Thủ tục {LUU_TRU}: thời hạn giải quyết “0,5” không phải số nguyên"),
    ("Ngày làm việc", "", f"Thủ tục {LUU_TRU}: thiếu thời hạn giải quyết"),
])
def test_unknown_units_and_bad_time_limits_are_refused(unit: str, value: str, message: str) -> None:
    item = copy.deepcopy(load_fixtures()[LUU_TRU])
    for channel in item["CACHTHUCTHUCHIEN"]:
        channel["THOIGIAN"][0].update({"DONVITINH": unit, "THOIGIANGIAIQUYET": value})
    with pytest.raises(CatalogueWireError) as caught:
        parse_procedure({"result": item})
    assert str(caught.value) == message


def test_units_map_to_ours() -> None:
    item = copy.deepcopy(load_fixtures()[LUU_TRU])
    for word, unit in [("Ngày", "calendar_days"), ("ngày làm việc ", "working_days"),
                       ("Giờ làm việc", "working_hours")]:
        item["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["DONVITINH"] = word
        assert parse_procedure({"result": item}).time_limit_unit == unit


def test_the_catalogue_hook_replaces_a_procedure(world: DvcqgWorld) -> None:
    item = load_fixtures()["1.000501"]
    item["TENTTHC"] = "Tên mới"
    assert requests.post(f"{world.base}/catalogue", json=item, timeout=5).json() == {"MATTHC": "1.000501"}
    client = world.client()
    assert client.call("LayThuTuc", {"maTTHC": "1.000501"}, share=True)["result"]["TENTTHC"] == "Tên mới"
    requests.post(f"{world.base}/catalogue/reset", timeout=5).raise_for_status()
    assert client.call("LayThuTuc", {"maTTHC": "1.000501"}, share=True)["result"]["TENTTHC"] != "Tên mới"
