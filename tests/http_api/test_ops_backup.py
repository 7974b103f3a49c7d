"""`motcua backup` then `motcua restore` into a fresh database (a new SQLite file, a new PostgreSQL database)
and an empty file store: the dossier and its files (an uploaded scan, the Mẫu 01 receipt) are intact and
readable over the API of a server on the restored data; a damaged backup and a non-empty target are refused."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.cli import app as cli
from api.main import create_app
from tests.conftest import PG_ADMIN_URL
from tests.http_api.conftest import PASSWORD
from tests.http_api.flows import Login, intake
from tests.http_api.test_dossier_walk import complete
from workflows.core.clock import ManualClock
from workflows.core.config import DatabaseSettings, Settings

SCAN = b"%PDF-1.4\n% CCCD 008190012345 scan\n" + os.urandom(2048) + b"\n%%EOF\n"


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's backend, never migrated."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'motcua.db'}"
        return
    name = f"motcua_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def env_of(settings: Settings) -> dict[str, str]:
    return {"MOTCUA_ENV": "test", "MOTCUA_DATABASE__URL": settings.database.url,
            "MOTCUA_STORAGE__DIRECTORY": str(settings.storage.directory)}


def documents(client: TestClient, headers: dict[str, str], code: str) -> dict[str, bytes]:
    items = client.get(f"/api/v1/dossiers/{code}/documents", headers=headers).json()["items"]
    out = {}
    for item in items:
        response = client.get(f"/api/v1/dossiers/{code}/documents/{item['id']}", headers=headers)
        assert response.status_code == 200, response.text
        out[item["filename"]] = response.content
    return out


class TestBackupRestore:
    def test_restored_into_a_fresh_database_with_every_file_readable(
        self, app_client: TestClient, login: Login, settings: Settings, clock: ManualClock, fresh_url: str,
        tmp_path: Path, db: Any,
    ) -> None:
        code = intake(app_client, login)["code"]
        complete(app_client, login, "mot_cua", code, {"quyet_dinh": "tiep_nhan"})  # prints the Mẫu 01 receipt
        uploaded = app_client.post(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua"),
                                   files={"file": ("cccd.pdf", SCAN, "application/pdf")})
        assert uploaded.status_code == 201, uploaded.text
        before = documents(app_client, login("mot_cua"), code)
        assert len(before) >= 2 and before["cccd.pdf"] == SCAN
        detail = app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua")).json()

        target = tmp_path / "backup"
        runner = CliRunner()
        result = runner.invoke(cli, ["backup", "--to", str(target)], env=env_of(settings))
        assert result.exit_code == 0, result.output
        assert "files" in result.output and (target / "manifest.json").is_file()
        # The store is copied encrypted: the scan's number is nowhere in the backup in clear.
        assert not any(b"008190012345" in f.read_bytes() for f in (target / "files").rglob("*") if f.is_file())
        again = runner.invoke(cli, ["backup", "--to", str(target)], env=env_of(settings))
        assert again.exit_code == 1 and "đã có dữ liệu" in again.output

        # Into the database it came from (not empty): refused, nothing touched.
        refused = runner.invoke(cli, ["restore", "--from", str(target)], env=env_of(settings))
        assert refused.exit_code == 1 and "chỉ khôi phục vào cơ sở dữ liệu rỗng" in refused.output

        restored = settings.model_copy(update={
            "database": DatabaseSettings(url=fresh_url, pool_size=5),
            "storage": settings.storage.model_copy(update={"directory": tmp_path / "restored-files"})})
        result = runner.invoke(cli, ["restore", "--from", str(target)], env=env_of(restored))
        assert result.exit_code == 0, result.output
        assert f"{len(before)} documents readable" in result.output

        server = create_app(restored, clock=clock, start_background=False)
        with TestClient(server) as client:
            token = client.post("/api/v1/auth/token", data={"username": "mot_cua", "password": PASSWORD})
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            again_detail = client.get(f"/api/v1/dossiers/{code}", headers=headers).json()
            assert again_detail["status"] == detail["status"]
            assert again_detail["applicant"] == detail["applicant"]
            assert documents(client, headers, code) == before
            server.state.wiring.close()

    def test_a_damaged_backup_is_refused_before_anything_is_touched(
        self, app_client: TestClient, login: Login, settings: Settings, fresh_url: str, tmp_path: Path,
    ) -> None:
        intake(app_client, login)
        target = tmp_path / "backup"
        runner = CliRunner()
        assert runner.invoke(cli, ["backup", "--to", str(target)], env=env_of(settings)).exit_code == 0
        victim = next(f for f in target.glob("database.*"))
        victim.write_bytes(victim.read_bytes()[:-1] + b"!")
        restored = settings.model_copy(update={"database": DatabaseSettings(url=fresh_url, pool_size=5)})
        result = runner.invoke(cli, ["restore", "--from", str(target)], env=env_of(restored))
        assert result.exit_code == 1 and "bị thiếu hoặc hư hỏng" in result.output
