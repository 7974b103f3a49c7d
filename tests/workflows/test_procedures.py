"""The versioned procedure catalogue: data files, validation, versions on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from workflows.core.clock import ManualClock
from workflows.core.errors import NotFound, ValidationFailed
from workflows.procedures import (
    DATA_DIR,
    ProcedureDetail,
    ProcedurePublic,
    current,
    get_version,
    list_current,
    list_versions,
    parse_spec,
    read_spec_file,
    spec_of,
    sync_catalogue,
    to_out,
    update_procedure,
)

CLOCK = ManualClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))

# DOMAIN.md §4: (value, unit) per procedure; lễ hội is this project's documented choice.
EXPECTED_LIMITS = {
    "VHTTDL-KARAOKE": (5, "working_days"),
    "VHTTDL-VU-TRUONG": (5, "working_days"),
    "VHTTDL-LU-HANH-NOI-DIA": (10, "calendar_days"),
    "VHTTDL-LUU-TRU-1-3-SAO": (30, "calendar_days"),
    "VHTTDL-BIEU-DIEN-NGHE-THUAT": (5, "working_days"),
    "VHTTDL-LE-HOI-CAP-TINH": (15, "working_days"),
    "VHTTDL-THE-THAO-QUAN-VOT": (7, "working_days"),
    "VHTTDL-THE-HDV-NOI-DIA": (15, "calendar_days"),
    "VHTTDL-LE-HOI-CAP-XA": (7, "working_days"),  # the commune-level demo procedure (issue 20)
}


def copy_catalogue(tmp_path: Path) -> Path:
    directory = tmp_path / "catalogue"
    shutil.copytree(DATA_DIR, directory)
    return directory


class TestDataFiles:
    def test_the_nine_procedures(self) -> None:
        specs = {p.stem: read_spec_file(p) for p in sorted(DATA_DIR.glob("*.toml"))}
        assert {c: (s.time_limit.value, s.time_limit.unit.value) for c, s in specs.items()} == EXPECTED_LIMITS
        # A procedure with a site inspection must run on the process that has the kiem_tra_thuc_te step.
        assert {c for c, s in specs.items() if s.process_key == "karaoke_vu_truong"} == {
            c for c, s in specs.items() if s.requires_site_inspection
        }
        assert {c for c, s in specs.items() if s.requires_site_inspection} == {
            "VHTTDL-KARAOKE",
            "VHTTDL-VU-TRUONG",
            "VHTTDL-THE-THAO-QUAN-VOT",
        }
        assert any(s.has_financial_obligation for s in specs.values())
        assert specs["VHTTDL-THE-THAO-QUAN-VOT"].national_code == "1.000501"

    def test_fees_in_vnd(self) -> None:
        karaoke = read_spec_file(DATA_DIR / "VHTTDL-KARAOKE.toml")
        assert sorted(f.amount for f in karaoke.fees if f.amount is not None) == [
            2_000_000,
            3_000_000,
            4_000_000,
            6_000_000,
            6_000_000,
            12_000_000,
        ]
        assert [f.amount for f in read_spec_file(DATA_DIR / "VHTTDL-THE-HDV-NOI-DIA.toml").fees] == [650_000]
        assert read_spec_file(DATA_DIR / "VHTTDL-LE-HOI-CAP-TINH.toml").fees == []


def karaoke_data() -> dict[str, object]:
    return read_spec_file(DATA_DIR / "VHTTDL-KARAOKE.toml").model_dump(mode="json")


class TestValidation:
    @pytest.mark.parametrize("when", [{"so_tang": [1, 3]}, {"dia_ban": "ha_noi"}, {"so_phong": [1, 2, 3]},
                                      {"so_phong": "nhieu"}])
    def test_fee_conditions_must_name_intake_fields_and_fit_them(self, when: dict[str, object]) -> None:
        data = karaoke_data()
        data["fees"][0]["when"] = when  # type: ignore[index]
        with pytest.raises(ValidationFailed) as info:
            parse_spec(data)
        assert info.value.errors and info.value.errors[0]["field"] == "procedure"
        assert info.value.errors[0]["message"].startswith("Dữ liệu gửi lên: Điều kiện phí")  # the reason, in Vietnamese

    def test_unknown_step_key(self) -> None:
        data = karaoke_data()
        data["steps"][1]["step"] = "duyet"  # type: ignore[index]
        with pytest.raises(ValidationFailed) as info:
            parse_spec(data)
        assert info.value.errors and info.value.errors[0]["field"].startswith("steps.1")

    def test_steps_out_of_order(self) -> None:
        data = karaoke_data()
        steps = data["steps"]
        steps[1], steps[2] = steps[2], steps[1]  # type: ignore[index]
        with pytest.raises(ValidationFailed):
            parse_spec(data)

    def test_steps_longer_than_the_time_limit(self) -> None:
        data = karaoke_data()
        data["time_limit"] = {"value": 4, "unit": "working_days"}
        with pytest.raises(ValidationFailed):
            parse_spec(data)

    def test_site_inspection_flag_matches_steps(self) -> None:
        data = karaoke_data()
        data["requires_site_inspection"] = False
        with pytest.raises(ValidationFailed):
            parse_spec(data)

    def test_financial_obligation_flag_matches_steps(self) -> None:
        data = karaoke_data()
        data["has_financial_obligation"] = True
        with pytest.raises(ValidationFailed):
            parse_spec(data)

    def test_same_content_same_digest(self) -> None:
        assert (
            parse_spec(karaoke_data()).sha256() == read_spec_file(DATA_DIR / "VHTTDL-KARAOKE.toml").sha256()
        )

    def test_file_name_must_be_the_code(self, tmp_path: Path) -> None:
        path = tmp_path / "KARAOKE.toml"
        path.write_bytes((DATA_DIR / "VHTTDL-KARAOKE.toml").read_bytes())
        with pytest.raises(ValidationFailed):
            read_spec_file(path)


class TestCatalogueVersions:
    def test_sync_creates_version_one_and_is_idempotent(self, session: Session) -> None:
        first = sync_catalogue(session, clock=CLOCK)
        session.commit()
        assert sorted(v.code for v in first) == sorted(EXPECTED_LIMITS)
        assert {v.version for v in first} == {1}
        again = sync_catalogue(session, clock=CLOCK)
        assert [v.id for v in again] == [v.id for v in first]
        assert [v.code for v in list_current(session)] == sorted(EXPECTED_LIMITS)

    def test_changed_file_makes_version_two(self, session: Session, tmp_path: Path) -> None:
        directory = copy_catalogue(tmp_path)
        sync_catalogue(session, directory=directory, clock=CLOCK)
        session.commit()
        old = current(session, code="VHTTDL-LU-HANH-NOI-DIA")
        path = directory / "VHTTDL-LU-HANH-NOI-DIA.toml"
        path.write_text(path.read_text().replace("amount = 3000000", "amount = 1500000"))
        sync_catalogue(session, directory=directory, clock=CLOCK)
        session.commit()
        session.expire_all()  # read back what was stored, not the objects in memory
        new = current(session, code="VHTTDL-LU-HANH-NOI-DIA")
        assert (new.version, new.fees[0]["amount"], new.active) == (2, 1_500_000, True)
        kept = get_version(session, version_id=old.id)  # type: ignore[arg-type]
        assert (kept.version, kept.active, kept.fees[0]["amount"]) == (1, False, 3_000_000)
        assert [v.version for v in list_versions(session, code="VHTTDL-LU-HANH-NOI-DIA")] == [1, 2]
        assert current(session, code="VHTTDL-KARAOKE").version == 1

    def test_admin_update_makes_a_new_version(self, session: Session) -> None:
        sync_catalogue(session, clock=CLOCK)
        session.commit()
        before = current(session, code="VHTTDL-LE-HOI-CAP-TINH")
        steps = spec_of(before).model_dump(mode="json")["steps"]
        steps[2]["hours"] = 100  # tham_dinh
        updated = update_procedure(
            session,
            code="VHTTDL-LE-HOI-CAP-TINH",
            changes={"time_limit": {"value": 20}, "steps": steps},
            actor="quantri",
            clock=CLOCK,
        )
        session.commit()
        session.expire_all()
        assert (updated.version, updated.time_limit_value, updated.time_limit_unit) == (2, 20, "working_days")
        assert updated.created_by == "quantri"
        assert current(session, code="VHTTDL-LE-HOI-CAP-TINH").id == updated.id
        assert get_version(session, version_id=before.id).active is False  # type: ignore[arg-type]
        # The unchanged data file does not undo the administrator's edit.
        sync_catalogue(session, clock=CLOCK)
        assert current(session, code="VHTTDL-LE-HOI-CAP-TINH").id == updated.id

    def test_update_with_same_content_keeps_the_version(self, session: Session) -> None:
        sync_catalogue(session, clock=CLOCK)
        before = current(session, code="VHTTDL-KARAOKE")
        same = update_procedure(
            session, code="VHTTDL-KARAOKE", changes={"name": before.name}, actor="quantri", clock=CLOCK
        )
        assert same.id == before.id and same.version == 1

    def test_invalid_updates_are_refused(self, session: Session) -> None:
        sync_catalogue(session, clock=CLOCK)
        for changes in (
            {"time_limit": {"value": 3}},  # steps no longer fit
            {"code": "VHTTDL-KHAC"},
            {"colour": "red"},
            {"supplement_policy": "forever"},
        ):
            with pytest.raises(ValidationFailed):
                update_procedure(
                    session, code="VHTTDL-KARAOKE", changes=changes, actor="quantri", clock=CLOCK
                )
        assert current(session, code="VHTTDL-KARAOKE").version == 1

    def test_unknown_code(self, session: Session) -> None:
        with pytest.raises(NotFound) as info:
            current(session, code="KHONG-CO")
        assert "Không tìm thấy thủ tục" in info.value.detail
        with pytest.raises(NotFound):
            get_version(session, version_id=999_999)
        with pytest.raises(NotFound):
            update_procedure(session, code="KHONG-CO", changes={}, actor="quantri")


class TestSchemas:
    def test_public_shape(self, session: Session) -> None:
        sync_catalogue(session, clock=CLOCK)
        item = ProcedurePublic.from_version(current(session, code="VHTTDL-KARAOKE")).model_dump(mode="json")
        assert {"code", "name", "field", "authority", "time_limit", "fee", "process_key", "documents"} <= set(
            item
        )
        assert item["time_limit"] == {"value": 5, "unit": "working_days"}
        assert item["process_key"] == "karaoke_vu_truong"
        assert item["fee"][0] == {
            "name": "Phí thẩm định cấp giấy phép kinh doanh dịch vụ karaoke",
            "amount": 4_000_000,
            "condition": "Tại thành phố, thị xã: từ 01 đến 03 phòng",
            "when": {"dia_ban": "thanh_pho_thi_xa", "so_phong": [1, 3]},
        }
        assert [(f["key"], f["kind"]) for f in item["intake_fields"]] == [("dia_ban", "choice"),
                                                                          ("so_phong", "integer")]

    def test_detail_carries_steps_and_policy(self, session: Session) -> None:
        sync_catalogue(session, clock=CLOCK)
        detail = ProcedureDetail.from_version(current(session, code="VHTTDL-LUU-TRU-1-3-SAO"))
        assert detail.supplement_policy == "restart" and detail.has_financial_obligation
        assert "thu_phi" in [s.step for s in detail.steps]
        assert to_out(current(session, code="VHTTDL-LUU-TRU-1-3-SAO")) == detail
