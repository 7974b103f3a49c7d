"""The OA grant walked as in production (issue 18 part 1): the Zalo emulator, `motcua serve --no-scheduler`
and `motcua worker` as separate processes, an empty token store, no automatic grant
(MOTCUA_ZALO__EMULATOR_AUTO_GRANT=false). An administrator starts the grant over HTTP, the OA administrator
approves on the emulator's permission page, Zalo's redirect reaches our callback; messages that waited for
the grant (or for a new one after a refused refresh, or after a worker killed during a refresh) arrive once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from connectors.outbox import OutboxMessage
from tests.connectors.zalo_consent import approve
from tests.http_api.live import BPMN_DIR, free_port
from workflows.core.config import DatabaseSettings, Settings
from workflows.identity.seed import DEMO_PASSWORD
from workflows.seed import seed_all
from workflows.wiring import build_wiring
from workflows.zalo.inbound import ASK_AGAIN, WELCOME

MOTCUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "motcua"
OA_NAME = Settings().oa_name
# argon2 at its smallest, as in the other tests (tests/conftest.py): the administrator logs in for every look.
LIGHT_ARGON2 = {"memory_kib": 1024, "time_cost": 1, "parallelism": 1}
# The grant's request checks and the command line store and read one row as any test does: PostgreSQL only.
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


class Rig:
    """Emulator, server and worker processes on the test database."""

    def __init__(self, db: Engine, tmp_path: Path) -> None:
        self.db, self.tmp = db, tmp_path
        port, emulator_port = free_port(), free_port()
        self.base, self.emulator = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulator_port}"
        self.env = {**os.environ, "MOTCUA_ENV": "development",
                    "MOTCUA_DATABASE__URL": db.url.render_as_string(hide_password=False),
                    "MOTCUA_STORAGE__DIRECTORY": str(tmp_path / "files"), "MOTCUA_PUBLIC_BASE_URL": self.base,
                    "MOTCUA_ZALO__EMULATOR_URL": self.emulator, "MOTCUA_ZALO__EMULATOR_AUTO_GRANT": "false",
                    "MOTCUA_ZALO__TIMEOUT_SECONDS": "2", "MOTCUA_ZALO__RETRY_BASE_SECONDS": "0.2",
                    "MOTCUA_ZALO__RETRY_MAX_SECONDS": "1", "MOTCUA_SCHEDULER__OUTBOX_INTERVAL_SECONDS": "0.1",
                    "MOTCUA_SCHEDULER__OUTBOX_LEASE_SECONDS": "6", "PYTHONUNBUFFERED": "1",
                    **{f"MOTCUA_AUTH__ARGON2__{name.upper()}": str(value) for name, value in LIGHT_ARGON2.items()}}
        self.http = requests.Session()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.worker_runs = 0

    def start(self, name: str, args: list[str]) -> None:
        with (self.tmp / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen([str(MOTCUA), *args], env=self.env, stdout=log,
                                                    stderr=subprocess.STDOUT, start_new_session=True)

    def up(self) -> None:
        self.start("emulator", ["zalo-emulator", "--port", self.emulator.rsplit(":", 1)[1]])
        self.start("server", ["serve", "--no-scheduler", "--port", self.base.rsplit(":", 1)[1]])
        self.start_worker()
        wait_until(lambda: _answers(f"{self.emulator}/stats"), what="emulator")
        wait_until(lambda: _answers(f"{self.base}/healthz"), what="server", timeout=90)

    def start_worker(self) -> None:
        self.worker_runs += 1
        self.start("worker", ["worker"])

    def kill_worker(self) -> None:
        """SIGKILL: no shutdown, no rollback sent — a power cut for the worker."""
        process = self.processes["worker"]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    def down(self) -> None:
        # All asked to stop at once, then waited for: a process still holding a stalled request (the emulator's
        # answer delay) no longer adds its 20 s grace to the others'.
        running = [process for process in self.processes.values() if process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + 20
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def admin(self) -> dict[str, str]:
        response = self.http.post(f"{self.base}/api/v1/auth/token",
                                  data={"username": "quan_tri", "password": DEMO_PASSWORD}, timeout=30)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def connection(self) -> dict[str, Any]:
        response = self.http.get(f"{self.base}/api/v1/admin/zalo", headers=self.admin(), timeout=30)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def grant(self) -> requests.Response:
        """The administrator starts the grant; the OA administrator approves on Zalo's page; the browser
        follows Zalo's redirect to our callback. The callback's answer."""
        started = self.http.post(f"{self.base}/api/v1/admin/zalo/grant", headers=self.admin(), timeout=30)
        assert started.status_code == 200, started.text
        url = started.json()["authorization_url"]
        assert url.startswith(f"{self.emulator}/oauth/v4/oa/permission?")
        redirect = approve(self.http, url)
        assert redirect.status_code == 302, redirect.text
        location = redirect.headers["location"]
        assert location.startswith(f"{self.base}/api/v1/zalo/oauth/callback?")
        return self.http.get(location, timeout=30)

    def citizen(self, phone: str) -> str:
        created = self.http.post(f"{self.emulator}/users", json={"phone": phone}, timeout=10)
        created.raise_for_status()
        return str(created.json()["user_id"])

    def act(self, user_id: str, action: str, body: dict[str, Any] | None = None) -> None:
        response = self.http.post(f"{self.emulator}/users/{user_id}/{action}", json=body, timeout=30)
        assert response.status_code == 200, response.text

        def delivered() -> bool:
            records = self.http.get(f"{self.emulator}/webhook-deliveries", timeout=10).json()
            return all(r["status"] != "pending" for r in records)

        wait_until(delivered, what="the webhook delivered")
        statuses = {r["status"] for r in self.http.get(f"{self.emulator}/webhook-deliveries", timeout=10).json()}
        assert statuses == {"delivered"}, statuses

    def inbox(self, user_id: str) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.emulator}/inbox", params={"user_id": user_id}, timeout=10)
        return list(response.json()["messages"])

    def hook(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.request("GET" if body is None and path == "stats" else "POST",
                                     f"{self.emulator}/tokens/{path}", json=body, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def rows(self) -> list[OutboxMessage]:
        with Session(self.db) as session:
            return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


@pytest.fixture
def rig(db: Engine, tmp_path: Path) -> Iterator[Rig]:
    wiring = build_wiring(Settings(env="test", database=DatabaseSettings(url=db.url.render_as_string(
        hide_password=False)), storage={"directory": tmp_path / "files"},  # type: ignore[arg-type]
        auth={"argon2": LIGHT_ARGON2}))  # type: ignore[arg-type]
    try:
        with Session(wiring.db) as session:
            seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True, hasher=wiring.password_hasher)
            session.commit()
    finally:
        wiring.close()
    rig = Rig(db, tmp_path)
    rig.up()
    try:
        yield rig
    finally:
        rig.down()


def test_a_welcome_waits_for_the_grant_walked_through_zalos_permission_page(rig: Rig) -> None:
    assert rig.connection()["state"] == "not_granted"
    user = rig.citizen("84912000201")
    rig.act(user, "follow")  # before the grant: the welcome is queued and waits
    time.sleep(1.0)  # ten relay passes (every 0.1 s): none may send it
    [welcome] = rig.rows()
    assert welcome.status == "pending" and welcome.attempts == 0 and rig.inbox(user) == []

    page = rig.grant()

    assert page.status_code == 200 and "Đã kết nối Zalo OA" in page.text
    assert "access_token" not in page.text and "refresh" not in page.text
    wait_until(lambda: len(rig.inbox(user)) >= 2, what="the welcome")
    messages = rig.inbox(user)
    assert messages[0]["text"] == WELCOME.format(oa_name=OA_NAME)
    assert messages[1]["type"] == "request_user_info"
    connection = rig.connection()
    assert connection["state"] == "granted" and connection["can_send"] and connection["last_error"] is None
    assert connection["access_expires_at"] and connection["granted_at"]
    time.sleep(1.0)
    assert len(rig.inbox(user)) == 2  # once


def test_a_refused_refresh_stops_refreshing_messages_wait_and_a_new_grant_delivers_each_once(rig: Rig) -> None:
    assert rig.grant().status_code == 200
    user = rig.citizen("84912000202")
    rig.act(user, "follow")
    wait_until(lambda: len(rig.inbox(user)) >= 2, what="the welcome")
    rig.hook("kill-refresh")  # the stored refresh token is dead (consumed elsewhere, expired)
    rig.hook("expire-access")  # the next call answers -216: a refresh is needed
    before = rig.hook("stats")["refresh_attempts"]

    rig.act(user, "send-text", {"text": "liên kết"})
    wait_until(lambda: rig.connection()["state"] == "refresh_failed", what="refresh_failed")
    rig.act(user, "send-text", {"text": "xác thực"})
    time.sleep(2.0)  # twenty relay passes (every 0.1 s): none may try the dead refresh token again

    assert rig.hook("stats")["refresh_attempts"] == before + 1
    connection = rig.connection()
    assert connection["state"] == "refresh_failed" and not connection["can_send"]
    assert "Invalid refresh token" in connection["last_error"]
    waiting = [row for row in rig.rows() if row.status != "sent"]
    assert len(waiting) == 2 and all(row.status == "pending" and row.attempts == 0 for row in waiting)
    ready = rig.http.get(f"{rig.base}/readyz", timeout=30).json()
    assert ready["zalo"]["state"] == "refresh_failed"
    metrics = rig.http.get(f"{rig.base}/metrics", timeout=30).text
    assert 'motcua_zalo_connection{state="refresh_failed"} 1.0' in metrics
    assert len(rig.inbox(user)) == 2

    assert rig.grant().status_code == 200

    wait_until(lambda: all(row.status == "sent" for row in rig.rows()), what="the waiting replies")
    time.sleep(1.0)
    texts = [m.get("text") for m in rig.inbox(user)[2:]]
    assert texts.count(ASK_AGAIN) == 2 and len(rig.inbox(user)) == 2 + 4  # two replies, text and card each
    assert rig.connection()["state"] == "granted"


def test_a_worker_killed_during_a_refresh_leaves_refresh_failed_and_a_new_grant_resumes(rig: Rig) -> None:
    assert rig.grant().status_code == 200
    user = rig.citizen("84912000203")
    rig.act(user, "follow")
    wait_until(lambda: len(rig.inbox(user)) >= 2, what="the welcome")
    # Zalo consumes the refresh token, then answers late: late enough for the kill below (which follows the
    # consumption within a poll), not so late that the emulator's shutdown waits a minute for the answer.
    rig.hook("answer-delay", {"seconds": 10})
    rig.hook("expire-access")
    refreshes = rig.hook("stats")["refreshes"]

    rig.act(user, "send-text", {"text": "liên kết"})
    wait_until(lambda: rig.hook("stats")["refreshes"] == refreshes + 1, what="the refresh token consumed")
    rig.kill_worker()  # the new pair never reached our database
    rig.hook("answer-delay", {"seconds": 0})
    rig.start_worker()

    wait_until(lambda: rig.connection()["state"] == "refresh_failed", what="refresh_failed", timeout=60)
    [reply] = [row for row in rig.rows() if row.status != "sent"]
    # It waits: back to pending, or still `sending` under the dead worker's lease when the new worker found the
    # connection refused before that lease ran out (no worker claims while it cannot send; the next claim after
    # the grant takes it as uncertain). Never dead, no attempt spent.
    assert reply.status in ("pending", "sending") and reply.attempts == 0, (reply.status, reply.attempts)
    assert rig.http.get(f"{rig.base}/readyz", timeout=30).json()["zalo"]["state"] == "refresh_failed"
    assert len(rig.inbox(user)) == 2

    assert rig.grant().status_code == 200

    wait_until(lambda: all(row.status == "sent" for row in rig.rows()), what="the reply")
    time.sleep(1.0)
    assert [m.get("text") for m in rig.inbox(user)[2:]] == [ASK_AGAIN, None]  # text and card, once


@ON_POSTGRESQL
def test_a_bad_expired_or_replayed_state_is_refused_and_stores_nothing(rig: Rig) -> None:
    callback = f"{rig.base}/api/v1/zalo/oauth/callback"
    unknown = rig.http.get(callback, params={"code": "abc", "state": "not-ours"}, timeout=30)
    assert unknown.status_code == 400 and unknown.json()["code"] == "grant_state_unknown"
    assert "Yêu cầu cấp quyền không hợp lệ" in unknown.json()["detail"]
    missing = rig.http.get(callback, timeout=30)
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"code", "state"}
    assert rig.connection()["state"] == "not_granted"

    started = rig.http.post(f"{rig.base}/api/v1/admin/zalo/grant", headers=rig.admin(), timeout=30).json()
    location = approve(rig.http, started["authorization_url"]).headers["location"]
    assert rig.http.get(location, timeout=30).status_code == 200
    replayed = rig.http.get(location, timeout=30)
    assert replayed.status_code == 400 and replayed.json()["code"] == "grant_state_used"
    assert rig.hook("stats")["code_exchanges"] == 1  # the replay never reached Zalo

    started = rig.http.post(f"{rig.base}/api/v1/admin/zalo/grant", headers=rig.admin(), timeout=30).json()
    location = approve(rig.http, started["authorization_url"]).headers["location"]
    with rig.db.begin() as connection:  # ten minutes later
        connection.exec_driver_sql("UPDATE zalo_grant_request SET expires_at = created_at WHERE used_at IS NULL")
    expired = rig.http.get(location, timeout=30)
    assert expired.status_code == 400 and expired.json()["code"] == "grant_state_expired"
    assert rig.hook("stats")["code_exchanges"] == 1


@ON_POSTGRESQL
def test_the_cli_prints_an_authorization_url_that_grants(rig: Rig) -> None:
    granted_before = rig.connection()["granted_at"]
    result = subprocess.run([str(MOTCUA), "zalo-grant"], env=rig.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    url = result.stdout.strip()
    assert url.startswith(f"{rig.emulator}/oauth/v4/oa/permission?") and "code_challenge=" in url
    page = rig.http.get(approve(rig.http, url).headers["location"], timeout=30)
    assert page.status_code == 200 and "Đã kết nối Zalo OA" in page.text
    connection = rig.connection()
    assert connection["state"] == "granted" and connection["granted_at"] != granted_before


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until(predicate: Callable[[], Any], *, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    value = predicate()
    assert value, f"timed out after {timeout}s waiting for {what}"
    return value
