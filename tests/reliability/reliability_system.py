"""The system as operators run it: `motcua serve --no-scheduler` and `motcua worker` as real subprocesses
on the test database, with the Zalo emulator inside the server. Imported by module name (no package)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlmodel import Session

from connectors.zalo.tokens import ZaloToken
from workflows.core.config import Settings
from workflows.core.db import make_db_engine
from workflows.seed import seed_all
from workflows.wiring import build_wiring

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
MOTCUA = str(Path(sys.executable).with_name("motcua"))
PASSWORD = "motcua-demo"


def system_env(settings: Settings, *, base_url: str) -> dict[str, str]:
    """MOTCUA_* for both processes: the test database, one file store, short Zalo timeouts and retries
    (real clock: a retry must come within seconds, and a message claimed by a killed worker too)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.update({
        "MOTCUA_ENV": "test",
        "MOTCUA_DATABASE__URL": settings.database.url,
        "MOTCUA_DATABASE__POOL_SIZE": "10",
        "MOTCUA_STORAGE__DIRECTORY": str(settings.storage.directory),
        "MOTCUA_PUBLIC_BASE_URL": base_url,
        "MOTCUA_ZALO__EMULATOR": "true",
        "MOTCUA_ZALO__TIMEOUT_SECONDS": "1.0",
        "MOTCUA_ZALO__MAX_ATTEMPTS": "40",  # a third of calls fail: 8 attempts would dead-letter some
        "MOTCUA_ZALO__RETRY_BASE_SECONDS": "0.2",
        "MOTCUA_ZALO__RETRY_MAX_SECONDS": "2",
        # A token refresh lost to an injected fault waits out a backoff before the next try, and meanwhile
        # nothing can be sent (the emulator revoked the access token): 60 s by default, which made each such
        # fault a minute's stall in a run that lasts seconds.
        "MOTCUA_ZALO__REFRESH_BACKOFF_SECONDS": "0.5",
        "MOTCUA_ZALO__REFRESH_BACKOFF_MAX_SECONDS": "2",
        "MOTCUA_SCHEDULER__OUTBOX_INTERVAL_SECONDS": "0.1",
        "MOTCUA_SCHEDULER__OUTBOX_LEASE_SECONDS": "6",
        "MOTCUA_SCHEDULER__REMINDER_INTERVAL_SECONDS": "3600",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def seed(settings: Settings) -> None:
    """Reference data, demo officials and the BPMN files, as `make run` does before serving."""
    wiring = build_wiring(settings)
    try:
        with Session(wiring.db) as session:
            seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True, hasher=wiring.password_hasher)
            session.commit()
    finally:
        wiring.close()


class Process:
    """One `motcua …` subprocess; its output goes to a log file that the PII scan reads afterwards."""

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.args, self.env, self.log_path = args, env, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([MOTCUA, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.log_path.parent, start_new_session=True)
        log.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no rollback — a power cut for this process."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class System:
    """Server + worker on `port`; `api` is a requests session (officials' logins cached)."""

    def __init__(self, settings: Settings, *, port: int, workdir: Path,
                 on_response: Callable[[str, str], None] | None = None) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.settings = settings
        env = system_env(settings, base_url=self.base)
        self.server = Process(["serve", "--no-scheduler", "--port", str(port)], env=env,
                              log_path=workdir / "server.log")
        self.worker = Process(["worker"], env=env, log_path=workdir / "worker.log")
        self.db = make_db_engine(settings.database)
        self.http = requests.Session()
        self._tokens: dict[str, str] = {}
        # One login per official, as a person logs in once: the rig's threads asking for the same official's
        # token at once were up to eight concurrent logins of one account, which the login throttle counts
        # as failures until each password is verified (workflows/identity/throttle.py): 429 after five.
        self._login = threading.Lock()
        self._on_response = on_response or (lambda where, body: None)

    def start_server(self, timeout: float = 60.0) -> None:
        started = datetime.now(UTC) - timedelta(seconds=1)
        self.server.start()
        wait_until(self._ready, timeout=timeout, what="server /healthz")
        # The server grants itself emulator tokens in the background (the emulator is new at each start).
        wait_until(lambda: self._token_since(started), timeout=timeout, what="emulator tokens stored")

    def _ready(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _token_since(self, when: datetime) -> bool:
        with Session(self.db) as session:
            row = session.get(ZaloToken, 1)
            return row is not None and row.updated_at >= when

    def stop(self) -> None:
        self.worker.stop()
        self.server.stop()
        self.db.dispose()

    def headers(self, username: str) -> dict[str, str]:
        with self._login:
            if username not in self._tokens:
                self._log_in(username)
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def _log_in(self, username: str) -> None:
        response = self.http.post(f"{self.base}/api/v1/auth/token",  # a token, nothing personal
                                  data={"username": username, "password": PASSWORD}, timeout=30)
        assert response.status_code == 200, response.text
        self._tokens[username] = response.json()["access_token"]

    def call(self, method: str, path: str, *, user: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if user:
            headers.update(self.headers(user))
        response = self.http.request(method, f"{self.base}{path}", headers=headers,
                                     timeout=kwargs.pop("timeout", 60), **kwargs)
        self._on_response(f"{method} {path} → {response.status_code}", response.text)
        return response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, tick: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(tick)
    value = predicate()
    assert value, f"timed out after {timeout}s waiting for {what}"
    return value
