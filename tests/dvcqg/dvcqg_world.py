"""The DVCQG emulator served on its own real port (uvicorn in a thread), and a client pointed at it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
import uvicorn

from connectors.dvcqg import DvcqgClient
from connectors.dvcqg.emulator import EmulatorState, create_dvcqg_emulator_app
from workflows.core.clock import ManualClock

USERNAME, PASSWORD, MADONVI = "000.00.22.H60", "adapter-password", "000.00.22.H60"


@dataclass
class DvcqgWorld:
    base: str
    state: EmulatorState
    clock: ManualClock

    def client(self, *, password: str = PASSWORD, timeout: float = 2.0) -> DvcqgClient:
        return DvcqgClient(adapter_url=f"{self.base}/adapter", username=USERNAME, password=password,
                           dstcode="VN:GOV:000.00.00.G22:vpcpdvcprovider", madonvi=MADONVI,
                           session=requests.Session(), timeout=timeout, now=self.clock.now)

    def ledger(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.base}/ledger", timeout=5).json()["entries"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def dvcqg_emulator(clock: ManualClock, *, settings: dict[str, Any] | None = None,
                   fault_timeout_seconds: float = 3.0) -> Iterator[DvcqgWorld]:
    port = _free_port()
    app = create_dvcqg_emulator_app(username=USERNAME, password=PASSWORD, madonvi=MADONVI, now=clock.now,
                                    prefix="", session_ttl=timedelta(minutes=30),
                                    fault_timeout_seconds=fault_timeout_seconds, settings=settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield DvcqgWorld(base=f"http://127.0.0.1:{port}", state=app.state.dvcqg_emulator, clock=clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
