"""`motcua serve --workers N`: several server processes on PostgreSQL with the Zalo emulator served on its own
(`motcua zalo-emulator`); refused where the processes could not share state."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from connectors.outbox import SENT, OutboxMessage
from tests.http_api.live import BPMN_DIR, free_port
from workflows.identity.seed import DEMO_PASSWORD

MOTCUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "motcua"


def _env(db: Engine, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "MOTCUA_ENV": "development", "MOTCUA_STORAGE__DIRECTORY": str(tmp_path / "files"),
            "MOTCUA_DATABASE__URL": db.url.render_as_string(hide_password=False), **extra}


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen([str(MOTCUA), *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer; {log.read_text()[-3000:]}")


def test_serve_refuses_several_processes_with_the_in_process_emulator(db: Engine, tmp_path: Path) -> None:
    result = subprocess.run([str(MOTCUA), "serve", "--workers", "2", "--port", str(free_port())],
                            env=_env(db, tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    expected = "SQLite has a single writer" if db.dialect.name == "sqlite" else "motcua zalo-emulator"
    assert expected in result.stderr.replace("\n", " ").replace("│", " ")


def test_two_server_processes_carry_a_dossier_and_notify_through_the_standalone_emulator(
    db: Engine, tmp_path: Path
) -> None:
    """On PostgreSQL: intake and a step over HTTP against two processes; each notification reaches the
    emulator once. On SQLite the same command is refused (one writer: more processes would only queue)."""
    port, emulator_port = free_port(), free_port()
    base, emulator = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulator_port}"
    env = _env(db, tmp_path, MOTCUA_PUBLIC_BASE_URL=base, MOTCUA_ZALO__EMULATOR_URL=emulator)
    if db.dialect.name == "sqlite":
        result = subprocess.run([str(MOTCUA), "serve", "--workers", "2", "--port", str(port)], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "SQLite" in result.stderr
        return
    _deploy(db, tmp_path)
    with _process(["zalo-emulator", "--port", str(emulator_port)], env, tmp_path / "emulator.log") as emu, \
            _process(["serve", "--workers", "2", "--port", str(port)], env, tmp_path / "server.log") as server:
        _wait(f"{emulator}/stats", emu, tmp_path / "emulator.log")
        _wait(f"{base}/readyz", server, tmp_path / "server.log")
        assert len(_forked_children(server.pid)) == 2  # sharing the imported application (issue 22)
        http = requests.Session()

        def login(username: str) -> dict[str, str]:
            response = http.post(f"{base}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD},
                                 timeout=30)
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        http.post(f"{emulator}/users", json={"phone": "84912000111"}, timeout=10).raise_for_status()
        body = {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True, "accept": True,
                "applicant": {"full_name": "Trần Thị Nhiều Tiến Trình", "id_number": "008190012345",
                              "phone": "0912000111", "address": "Tổ 3, phường Minh Xuân, tỉnh Tuyên Quang"}}
        created = http.post(f"{base}/api/v1/dossiers", json=body, headers=login("mot_cua"), timeout=60)
        assert created.status_code == 201, created.text
        step = created.json()["current_steps"][0]
        task_id = step.get("task_id") or step["id"]
        done = http.post(f"{base}/api/v1/tasks/{task_id}/complete", headers=login("lanh_dao_phong"),
                         json={"data": {"case_officer": "chuyen_vien"}}, timeout=60)
        assert done.status_code == 200, done.text

        code = created.json()["code"]
        deadline, rows = time.monotonic() + 30, []
        while time.monotonic() < deadline:
            with Session(db) as session:
                rows = list(session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref == code)).all())
            if len(rows) >= 2 and all(row.status == SENT for row in rows):
                break
            time.sleep(0.3)
        assert len(rows) >= 2 and all(row.status == SENT for row in rows), [(r.kind, r.status) for r in rows]
        time.sleep(1.5)  # a duplicate sent by the other process would arrive within the relay's poll
        messages = http.get(f"{emulator}/inbox", params={"phone": "84912000111"}, timeout=10).json()["messages"]
        assert len(messages) == len(rows)  # each message once, though both processes run a relay
        assert messages[0]["template_data"]["trang_thai"] == "Được tiếp nhận"


def _forked_children(pid: int) -> list[int]:
    """The children of `pid` forked from it (same command line), not spawned (`multiprocessing.spawn`)."""
    parent = Path(f"/proc/{pid}/cmdline").read_bytes()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children if Path(f"/proc/{child}/cmdline").read_bytes() == parent]


def _deploy(db: Engine, tmp_path: Path) -> None:
    """Reference data, bpmn/ and the demo officials the way `make run` does (the CLI, on this database)."""
    env = _env(db, tmp_path)
    for args in (["db", "upgrade"], ["deploy", str(BPMN_DIR)], ["seed-demo"]):
        result = subprocess.run([str(MOTCUA), *args], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
