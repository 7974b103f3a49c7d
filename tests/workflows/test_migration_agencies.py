"""Issue 20: migration 0027 carries an installation's data over on both databases. Existing departments
become departments of one agency (the agency row is created from their code, named by the settings), a
department coded PHONG_<unit> gets that unit, and every dossier was received where it is resolved; the
migration also goes back down and up again."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from workflows.core.migrate import alembic_config

BEFORE = "0026_dvcqg_payments"
PG_ADMIN_URL = os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    request.node.motcua_pg = True
    name = f"motcua_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_existing_data_is_carried_over(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, BEFORE)
    engine = sa.create_engine(empty_url)
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with engine.begin() as c:
        for code in ("PHONG_QLVH", "PHONG_QLDL"):
            c.execute(sa.text("INSERT INTO department (code, name, agency_code, created_at) "
                              "VALUES (:code, 'Phòng', 'H60.22', :now)"), {"code": code, "now": now})
        department = c.execute(sa.text("SELECT id FROM department WHERE code = 'PHONG_QLVH'")).scalar_one()
        version = c.execute(sa.text(
            "INSERT INTO procedure_version (code, version, name, field, authority, level, time_limit_value, "
            "time_limit_unit, fees, documents, result, legal_basis, supplement_policy, has_financial_obligation, "
            "requires_site_inspection, process_key, steps, sha256, active, created_at, created_by) VALUES "
            "('VHTTDL-KARAOKE', 1, 'Karaoke', 'Văn hóa', 'Sở', 'Cấp tỉnh', 5, 'working_days', '[]', '[]', 'GP', "
            "'NĐ 54', 'pause', false, true, 'karaoke_vu_truong', '[]', 'x', true, :now, 'test') RETURNING id"),
            {"now": now}).scalar_one()
        c.execute(sa.text(
            "INSERT INTO dossier (code, agency_code, department_id, procedure_version_id, procedure_code, "
            "process_key, channel, status, national_status, applicant_kind, applicant_name, applicant_name_search, "
            "documents, notify_zalo, submitted_at, paused_hours, supplement_count, counted_late, apology_count, "
            "created_by, created_at, updated_at, submitted_on_dvcqg, vneid_verified, paid_online) VALUES "
            "('H60.22-261124-0001', 'H60.22', :dep, :ver, 'VHTTDL-KARAOKE', 'karaoke_vu_truong', 'counter', "
            "'CHO_TIEP_NHAN', 1, 'person', 'Nguyễn Văn An', 'nguyen van an', '[]', false, :now, 0, 0, false, 0, "
            "'mot_cua', :now, :now, false, false, false)"), {"dep": department, "ver": version, "now": now})
    engine.dispose()

    command.upgrade(config, "head")
    engine = sa.create_engine(empty_url)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT code, national_code, name, kind FROM agency")).all() == [
            ("H60.22", "000.00.22.H60", "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang", "so")]
        assert sorted(c.execute(sa.text("SELECT code, unit_key, agency_code FROM department")).all()) == [
            ("PHONG_QLDL", "QLDL", "H60.22"), ("PHONG_QLVH", "QLVH", "H60.22")]
        assert c.execute(sa.text(
            "SELECT received_agency_code, received_department_id, current_agency_code, agency_code FROM dossier"
        )).one() == ("H60.22", department, "H60.22", "H60.22")
        assert c.execute(sa.text("SELECT competence FROM procedure_version")).scalar_one() is None
    engine.dispose()
    command.downgrade(config, BEFORE)
    command.upgrade(config, "head")
