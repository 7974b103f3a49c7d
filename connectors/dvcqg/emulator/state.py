"""The DVCQG emulator's in-memory world: adapter sessions, the national dossier records, the ledger of every
call, injected faults. Thread-safe (one lock). Each part of the emulator registers its services here."""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

FAULT_KINDS = ("http_500", "timeout", "error", "timeout_after_apply")
SESSION_EXPIRED = "-2"  # our answer to an unknown or expired session (the real code is unconfirmed)


class EmuRefusal(Exception):
    """A service's refusal: answered HTTP 200 `{"error_code": code, "message": message}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Handler = Callable[["EmulatorState", dict[str, Any]], dict[str, Any]]


@dataclass
class FaultPlan:
    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    rng: random.Random = field(default_factory=random.Random)
    services: tuple[str, ...] = ()  # empty: every service

    def draw(self, service: str) -> str | None:
        if not self.kinds or self.rate <= 0 or (self.services and service not in self.services):
            return None
        if self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.kinds)


class EmulatorState:
    def __init__(
        self, *, username: str, password: str, madonvi: str, now: Callable[[], datetime],
        session_ttl: timedelta = timedelta(minutes=30), fault_timeout_seconds: float = 20.0,
    ) -> None:
        self.username, self.password, self.madonvi = username, password, madonvi
        self.now = now
        self.session_ttl = session_ttl
        self.fault_timeout_seconds = fault_timeout_seconds
        self.lock = threading.RLock()
        self.sessions: dict[str, datetime] = {}  # session → expires at
        self.services: dict[str, Handler] = {}  # `service` → handler (each part registers its own)
        self.share_services: dict[str, Handler] = {}  # catalogue services under the share endpoint
        self.records: dict[str, dict[str, Any]] = {}  # MaHoSo → the DongBoHoSoMC record as last synced
        self.progress: dict[str, list[dict[str, Any]]] = {}  # MaHoSo → CapNhatTienDoHoSoMC entries
        self.ledger: list[dict[str, Any]] = []
        self.faults = FaultPlan()
        self.extra: dict[str, Any] = {}  # parts keep their own state here (payments, submissions)
        # DongBoHoSoMC fetches every file link of a record before accepting it (integration.py); tests that
        # post records without a file server turn it off (`POST /checks`).
        self.check_file_links = True

    # --- sessions -----------------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> str:
        if not (secrets.compare_digest(username, self.username) and secrets.compare_digest(password, self.password)):
            raise EmuRefusal("-1", "Tên đăng nhập hoặc mật khẩu không đúng")
        session = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[session] = self.now() + self.session_ttl
        return session

    def check_session(self, session: object) -> None:
        with self.lock:
            expires = self.sessions.get(session) if isinstance(session, str) else None
        if expires is None or expires <= self.now():
            raise EmuRefusal(SESSION_EXPIRED, "Phiên làm việc không hợp lệ hoặc đã hết hạn")

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    # --- the ledger ---------------------------------------------------------------------------------------

    def record(self, *, endpoint: str, service: str | None, body: dict[str, Any], reply: dict[str, Any] | None,
               outcome: str) -> dict[str, Any]:
        """Append one call to the ledger. `outcome`: "ok", "refused", or the injected fault's kind. The
        session is left out of the stored body."""
        entry = {"at": self.now().isoformat(), "endpoint": endpoint, "service": service,
                 "body": {k: v for k, v in body.items() if k != "session"}, "reply": reply, "outcome": outcome}
        with self.lock:
            entry["seq"] = len(self.ledger) + 1
            self.ledger.append(entry)
        return entry

    def set_faults(self, *, rate: float, kinds: tuple[str, ...], seed: int | None,
                   services: tuple[str, ...] = ()) -> FaultPlan:
        unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {list(FAULT_KINDS)}")
        with self.lock:
            self.faults = FaultPlan(rate=rate, kinds=tuple(kinds), rng=random.Random(seed), services=services)
        return self.faults

    def draw_fault(self, service: str) -> str | None:
        with self.lock:
            return self.faults.draw(service)
