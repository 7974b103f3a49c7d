"""The administrator's commands for issue 20 on SQLite: import the agency list (all rows or none, errors
naming row and column) and create a commune's department; `motcua` as installed, on its own database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.cli import app
from workflows.agencies.service import COLUMNS, DEMO_FILE


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MOTCUA_DATABASE__URL", url)
    monkeypatch.setenv("MOTCUA_ENV", "development")
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    return url


def test_import_agencies_and_create_a_department(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(COLUMNS) + "\nH60.80,000.00.80.H60,Ủy ban nhân dân xã Mới,ubnd_xa,H99,,,,,\n",
                   encoding="utf-8")
    refused = runner.invoke(app, ["import-agencies", str(bad)])
    assert refused.exit_code == 1
    assert "Dòng 2, cột “parent_code”: không có cơ quan cấp trên mã H99." in refused.output
    done = runner.invoke(app, ["import-agencies", str(DEMO_FILE)])
    assert done.exit_code == 0 and done.output.strip() == "agencies: 7 created, 0 updated"
    again = runner.invoke(app, ["import-agencies", str(DEMO_FILE)])
    assert again.output.strip() == "agencies: 0 created, 7 updated"
    made = runner.invoke(app, ["create-department", "H60.72.MOT_CUA", "--name",
                               "Trung tâm Phục vụ hành chính công xã Yên Sơn", "--agency", "H60.72",
                               "--unit", "MOT_CUA"])
    assert made.exit_code == 0, made.output
    unknown = runner.invoke(app, ["create-department", "H60.99.VHXH", "--name", "Phòng", "--agency", "H60.99"])
    assert unknown.exit_code == 1 and "Không tìm thấy cơ quan có mã H60.99." in unknown.output
    engine = sa.create_engine(database)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT agency_code, unit_key FROM department")).all() == [("H60.72", "MOT_CUA")]
        assert c.execute(sa.text("SELECT count(*) FROM agency")).scalar_one() == 7
    engine.dispose()
