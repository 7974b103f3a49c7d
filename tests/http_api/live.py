"""A live server (uvicorn in a thread, real port) with the Zalo emulator mounted and the relay running."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import uvicorn

from api.main import create_app
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.seed import seed_all

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    settings: Settings, clock: ManualClock, *, max_attempts: int | None = None
) -> Iterator[tuple[str, Any]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={
        "public_base_url": base,
        "zalo": settings.zalo.model_copy(update={"emulator": True, "timeout_seconds": 2.0,
                                                 "max_attempts": max_attempts or settings.zalo.max_attempts}),
        "scheduler": settings.scheduler.model_copy(update={
            "enabled": True, "timer_interval_seconds": 0.5, "outbox_interval_seconds": 0.1}),
    })
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    wiring = app.state.wiring
    LIVE_APPS[base] = app
    with session_scope(wiring.db) as session:
        seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True, hasher=wiring.password_hasher)
    # The server may have cached the working calendar before the seed wrote its days (a job at start-up):
    # 24/11/2026, a working day by the seeded overrides, was then a holiday in one test and not in another.
    wiring.domain.calendars.invalidate()
    assert wiring.bootstrap_emulator_tokens(), "the emulator granted no tokens"
    try:
        yield base, wiring
    finally:
        # Stop now, without waiting for requests still in flight (an emulator fault that stalls 20 s): a
        # server left running would keep its relays and jobs working on the next test's database.
        server.should_exit = server.force_exit = True
        thread.join(timeout=15)
        wiring.close()  # its background workers, even when the server's own shutdown did not finish
        LIVE_APPS.pop(base, None)


LIVE_APPS: dict[str, Any] = {}  # base URL → the running app (tests reach the in-process emulators' state)


def dvcqg_emulator_state(base: str) -> Any:
    """The in-process DVCQG emulator's `EmulatorState` of the live server at `base`."""
    from workflows.core.dvcqg_config import DVCQG_EMULATOR_PREFIX

    mount = next(r for r in LIVE_APPS[base].routes if getattr(r, "path", None) == DVCQG_EMULATOR_PREFIX)
    return mount.app.state.dvcqg_emulator


class Citizen:
    """The citizen's phone in the emulator."""

    def __init__(self, base: str, phone_84: str) -> None:
        self.base = base
        created = requests.post(f"{base}/zalo-emulator/users", json={"phone": phone_84}, timeout=5).json()
        self.user_id = created["user_id"]
        self.phone_84 = phone_84

    def act(self, action: str, body: dict[str, Any] | None = None) -> None:
        response = requests.post(f"{self.base}/zalo-emulator/users/{self.user_id}/{action}", json=body, timeout=5)
        assert response.status_code == 200, response.text

    def inbox(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.base}/zalo-emulator/inbox", params={"user_id": self.user_id}, timeout=5)
        return list(response.json()["messages"])

    def codes(self) -> list[str]:
        """The one-time codes Zalo delivered to this account (template by phone), oldest first."""
        return [str(m["template_data"]["otp"]) for m in self.inbox()
                if m.get("channel") == "template_phone" and "otp" in (m.get("template_data") or {})]

    def share_and_prove(self, phone_84: str | None = None, name: str = "Nguyễn Văn An") -> str:
        """Share a phone (this account's own by default), then send back the code that arrives here; the
        OA's answer to the code."""
        before, count = len(self.codes()), len(self.inbox())
        self.act("submit-info", {"phone": phone_84 or self.phone_84, "name": name})
        codes = wait_for(lambda: self.codes()[before:])
        assert codes, f"no code arrived: {self.inbox()[-3:]}"
        assert wait_for(lambda: [m for m in self.inbox()[count:] if str(m.get("text")).startswith("Mã xác thực gồm")])
        count = len(self.inbox())
        self.act("send-text", {"text": codes[-1]})
        answer = wait_for(lambda: self.inbox()[count:])
        assert answer, self.inbox()[-3:]
        return str(answer[-1]["text"])


def wait_for(predicate: Any, *, timeout: float = 30.0, tick: Any = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if tick:
            tick()
        time.sleep(0.1)
    return predicate()
