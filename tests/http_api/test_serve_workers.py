"""`motcua serve --workers N`: several server processes on PostgreSQL with the Zalo emulator served on its own
(`motcua zalo-emulator`) and the jobs in a process of their own; refused where the processes could not share
state."""

from __future__ import annotations

import os
import re
import signal
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
    emulator once, sent by the jobs' process as soon as the server process commits (LISTEN/NOTIFY: its
    polls are 30 s apart here). On SQLite the same command is refused (one writer: more processes would only
    queue)."""
    port, emulator_port = free_port(), free_port()
    base, emulator = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulator_port}"
    env = _env(db, tmp_path, MOTCUA_PUBLIC_BASE_URL=base, MOTCUA_ZALO__EMULATOR_URL=emulator,
               MOTCUA_SCHEDULER__OUTBOX_INTERVAL_SECONDS="30")
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
        assert len(_forked_children(server.pid)) == 3  # sharing the imported application (issue 22)
        children, jobs = _roles(tmp_path / "server.log", server.pid)
        assert len(children) == 2 and sorted([*children, jobs]) == sorted(_forked_children(server.pid))
        assert requests.get(f"{base}/readyz", timeout=10).json()["scheduler"]["running"] is False  # only serves
        # The supervisor replaced itself with the small watcher, which keeps no copy of the application.
        assert b"api.supervisor" in Path(f"/proc/{server.pid}/cmdline").read_bytes()
        assert _pss_mb(server.pid) < 40, _pss_mb(server.pid)
        lock_file = Path(_environ(server.pid)["MOTCUA_AUTH__HASH_LOCK_FILE"])  # as the exec passed it
        assert lock_file.exists()
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
        rows = _all_sent(db, code, at_least=2, within=10)  # well before the relay's next poll
        messages = http.get(f"{emulator}/inbox", params={"phone": "84912000111"}, timeout=10).json()["messages"]
        assert len(messages) == len(rows)  # each message once
        assert messages[0]["template_data"]["trang_thai"] == "Được tiếp nhận"

        # The jobs' process, killed, is replaced by `motcua worker`, which sends what the servers enqueue next.
        os.kill(jobs, signal.SIGKILL)
        deadline, worker = time.monotonic() + 60, []
        while time.monotonic() < deadline and not worker:
            worker = [pid for pid in _children(server.pid)
                      if b"api.cli\x00worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            time.sleep(0.2)
        assert worker, Path(tmp_path / "server.log").read_text()[-3000:]
        _wait_for_line(tmp_path / "server.log", "worker running jobs", count=2)
        time.sleep(2)  # its first passes (jobs run at once when they start) are over: the next is 30 s away
        # Kiểm tra thực tế, thẩm định, then xem xét: its "đã trình ký" is the citizen's next message.
        for user, data in (("chuyen_vien", {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt"}),
                           ("chuyen_vien", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện cấp phép"}),
                           ("lanh_dao_phong", {"quyet_dinh": "trinh_ky", "y_kien": "Đồng ý trình ký"})):
            task = done.json()["next_tasks"][0]
            done = http.post(f"{base}/api/v1/tasks/{task.get('task_id') or task['id']}/complete",
                             headers=login(user), json={"data": data}, timeout=60)
            assert done.status_code == 200, done.text
        assert len(_all_sent(db, code, at_least=len(rows) + 1, within=10)) > len(rows)
        log = (tmp_path / "server.log").read_text()
        assert f"Jobs process [{jobs}] exited (signal SIGKILL)" in log

        # A server process that dies is replaced by a fresh one on the same socket; the server keeps answering.
        os.kill(children[0], signal.SIGKILL)
        deadline, fresh = time.monotonic() + 60, []
        while time.monotonic() < deadline and not fresh:
            fresh = [pid for pid in _children(server.pid)
                     if b"serve-process" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            time.sleep(0.2)
        assert fresh and children[0] not in _children(server.pid), Path(tmp_path / "server.log").read_text()[-3000:]
        os.kill(children[1], signal.SIGKILL)  # the replacement alone must now serve
        deadline, answered = time.monotonic() + 60, False
        while time.monotonic() < deadline and not answered:
            try:
                answered = http.get(f"{base}/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                time.sleep(0.2)
        assert answered, Path(tmp_path / "server.log").read_text()[-3000:]
        log = (tmp_path / "server.log").read_text()
        assert f"Server process [{children[0]}] exited (signal SIGKILL)" in log

        # SIGTERM stops every process and removes the lock file the server made.
        server.terminate()
        assert server.wait(timeout=40) == 0
        assert not lock_file.exists()
        for pid in [*children, *fresh, jobs, *worker]:
            assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes()


def test_one_server_process_leaves_the_jobs_to_a_process_of_its_own_on_postgresql(db: Engine, tmp_path: Path) -> None:
    """`motcua serve` as a province starts it, one server process and the in-process Zalo emulator: on
    PostgreSQL the jobs run in a process of their own, forked beside it, and the citizen's message still
    leaves as soon as the intake commits (the relay's polls are 30 s apart here). On SQLite the jobs stay in
    the server process (one writer, whose gate lets the relay ahead of requests)."""
    port = free_port()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "server.log"
    env = _env(db, tmp_path, MOTCUA_PUBLIC_BASE_URL=base, MOTCUA_SCHEDULER__OUTBOX_INTERVAL_SECONDS="30")
    _deploy(db, tmp_path)
    with _process(["serve", "--port", str(port)], env, log) as server:
        _wait(f"{base}/readyz", server, log)
        running = requests.get(f"{base}/readyz", timeout=10).json()["scheduler"]["running"]
        if db.dialect.name == "sqlite":
            assert running is True and _forked_children(server.pid) == []
            return
        assert running is False
        children, jobs = _roles(log, server.pid)
        assert len(children) == 1 and sorted([*children, jobs]) == sorted(_forked_children(server.pid))
        http = requests.Session()
        http.post(f"{base}/zalo-emulator/users", json={"phone": "84912000222"}, timeout=10).raise_for_status()
        token = http.post(f"{base}/api/v1/auth/token", data={"username": "mot_cua", "password": DEMO_PASSWORD},
                          timeout=30).json()["access_token"]
        body = {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True, "accept": True,
                "applicant": {"full_name": "Hoàng Văn Một Tiến Trình", "id_number": "008190054321",
                              "phone": "0912000222", "address": "Tổ 7, phường Minh Xuân, tỉnh Tuyên Quang"}}
        created = http.post(f"{base}/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {token}"},
                            timeout=60)
        assert created.status_code == 201, created.text
        _all_sent(db, created.json()["code"], at_least=1, within=10)
        inbox = http.get(f"{base}/zalo-emulator/inbox", params={"phone": "84912000222"}, timeout=10).json()
        assert [m["template_data"]["trang_thai"] for m in inbox["messages"]] == ["Được tiếp nhận"]
        # The server process shows the jobs as the jobs' process reported them (it runs none itself).
        timers = requests.get(f"{base}/readyz", timeout=10).json()["scheduler"]["jobs"]["timers"]
        assert timers["worker"].endswith(f":{jobs}") and timers["runs"] >= 1 and timers["last_success_at"]


def _roles(log: Path, pid: int) -> tuple[list[int], int]:
    """The server processes and the jobs' process, as the supervisor named them in its first line."""
    line = next(line for line in log.read_text().splitlines() if f"[{pid}]" in line and "Supervising" in line)
    return [int(p) for p in re.findall(r"server process (\d+)", line)], int(re.findall(r"jobs process (\d+)", line)[0])


def _wait_for_line(log: Path, text: str, *, count: int) -> None:
    deadline = time.monotonic() + 60
    while log.read_text().count(text) < count:
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def _all_sent(db: Engine, code: str, *, at_least: int, within: float) -> list[OutboxMessage]:
    deadline, rows = time.monotonic() + within, []
    while time.monotonic() < deadline:
        with Session(db) as session:
            rows = list(session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref == code)).all())
        if len(rows) >= at_least and all(row.status == SENT for row in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError([(row.kind, row.status) for row in rows])


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _forked_children(pid: int) -> list[int]:
    """The children of `pid` forked from it before it became the supervisor: they still run the command it
    was started with (`motcua serve`), where started ones run `python -m api.cli serve-process`."""
    return [child for child in _children(pid) if b"\x00serve\x00" in Path(f"/proc/{child}/cmdline").read_bytes()]


def _environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\x00")
    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)


def _pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no Pss for {pid}")


def _deploy(db: Engine, tmp_path: Path) -> None:
    """Reference data, bpmn/ and the demo officials the way `make run` does (the CLI, on this database)."""
    env = _env(db, tmp_path)
    for args in (["db", "upgrade"], ["deploy", str(BPMN_DIR)], ["seed-demo"]):
        result = subprocess.run([str(MOTCUA), *args], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
