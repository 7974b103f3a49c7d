"""An overloaded embedded database answers 503 "busy, try again", not 500: on SQLite a request that does not
get the write lock in `database.sqlite_lock_wait_seconds` (another process holds it here, as the CLI or a
long batch could) is refused whole, with `Retry-After`, and the same request sent again succeeds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

from api.main import create_app
from workflows.core import migrate
from workflows.core.clock import ManualClock
from workflows.core.config import DatabaseSettings, Settings
from workflows.core.db import make_db_engine, session_scope
from workflows.dossiers.models import Dossier
from workflows.seed import seed_all

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
BODY = {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": False, "accept": True,
        "applicant": {"full_name": "Lý Thị Bận Rộn", "id_number": "008190099887", "phone": "0912000333",
                      "address": "Tổ 2, phường Minh Xuân, tỉnh Tuyên Quang"}}


def test_a_request_that_cannot_get_the_write_lock_is_told_to_retry(
    tmp_path: Path, signing_directory: Path, clock: ManualClock
) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    engine = make_db_engine(DatabaseSettings(url=url))
    migrate.upgrade(engine)
    engine.dispose()
    settings = Settings(
        env="test", database=DatabaseSettings(url=url, sqlite_lock_wait_seconds=0.5),
        storage={"directory": tmp_path / "files"}, scheduler={"enabled": False},  # type: ignore[arg-type]
        signing={"directory": signing_directory, "forms": False},  # type: ignore[arg-type]
        auth={"argon2": {"memory_kib": 1024, "time_cost": 1, "parallelism": 1}})  # type: ignore[arg-type]
    app = create_app(settings, clock=clock, start_background=False)
    with TestClient(app) as client:
        wiring = app.state.wiring
        with session_scope(wiring.db) as session:
            seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True, hasher=wiring.password_hasher)
        token = client.post("/api/v1/auth/token", data={"username": "mot_cua", "password": "motcua-demo"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

        holder = sqlite3.connect(str(make_url(url).database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process writing
        try:
            refused = client.post("/api/v1/dossiers", json=BODY, headers=headers)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "busy"
        assert refused.json()["detail"] == "Hệ thống đang bận xử lý nhiều yêu cầu; vui lòng thử lại sau ít giây."
        with Session(wiring.db) as session:
            assert session.exec(select(func.count()).select_from(Dossier)).one() == 0  # nothing half-written

        again = client.post("/api/v1/dossiers", json=BODY, headers=headers)
        assert again.status_code == 201, again.text
