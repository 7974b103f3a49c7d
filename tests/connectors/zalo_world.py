"""Helpers of the connector tests: serve an app over real HTTP (uvicorn in a thread), the emulator world."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from connectors.zalo.client import ZaloClient
from connectors.zalo.emulator import EmulatorState
from connectors.zalo.tokens import DbTokenStore
from workflows.core.clock import ManualClock

APP_ID = "3608465248940903967"
APP_SECRET = "emulator-app-secret"
OA_SECRET = "emulator-oa-secret-key"
# Generous by default (a slow CI box must not turn a delivered call into a timeout, i.e. a duplicate); the
# tests of timeouts use a short client timeout and a matching stall.
CLIENT_TIMEOUT = 3.0
FAULT_STALL = 3.5


def serve_in_thread(app: FastAPI) -> tuple[str, Callable[[], None]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@dataclass
class ZaloWorld:
    """The emulator over HTTP plus a client bound to it."""

    base: str
    app: FastAPI
    client: ZaloClient
    tokens: DbTokenStore
    http: requests.Session
    db: Engine
    clock: ManualClock

    @property
    def state(self) -> EmulatorState:
        return self.app.state.emulator

    def url(self, path: str) -> str:
        return f"{self.base}/zalo-emulator{path}"

    def new_client(self, *, tokens: DbTokenStore | None = None,
                   timeout: float = CLIENT_TIMEOUT) -> ZaloClient:
        return make_client(self.base, tokens or DbTokenStore(self.db), self.http, self.clock, timeout=timeout)

    def user(self, *, follow: bool = True, phone: str | None = None) -> dict[str, Any]:
        user = self.http.post(self.url("/users"), json={"phone": phone} if phone else {}, timeout=5).json()
        if follow:
            self.http.post(self.url(f"/users/{user['user_id']}/follow"), timeout=5).raise_for_status()
        return user

    def inbox(self, *, user_id: str | None = None, phone: str | None = None) -> list[dict[str, Any]]:
        params = {"user_id": user_id} if user_id else {"phone": phone}
        response = self.http.get(self.url("/inbox"), params=params, timeout=5)
        response.raise_for_status()
        return response.json()["messages"]

    def faults(self, rate: float, kinds: list[str], seed: int = 1,
               stall_seconds: float | None = None) -> None:
        body = {"rate": rate, "kinds": kinds, "seed": seed, "stall_seconds": stall_seconds}
        self.http.post(self.url("/faults"), json=body, timeout=5).raise_for_status()

    def stats(self) -> dict[str, int]:
        return self.http.get(self.url("/stats"), timeout=5).json()


def make_client(base: str, tokens: DbTokenStore, http: requests.Session, clock: ManualClock, *,
                timeout: float = CLIENT_TIMEOUT) -> ZaloClient:
    return ZaloClient(
        openapi_base_url=f"{base}/zalo-emulator/openapi", business_base_url=f"{base}/zalo-emulator/business",
        oauth_base_url=f"{base}/zalo-emulator/oauth", app_id=APP_ID, app_secret=APP_SECRET, tokens=tokens,
        session=http, timeout=timeout, now=clock.now,
    )


