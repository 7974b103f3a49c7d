"""The adapter client: log in, keep the session, post a service call, read the reply (NATIONAL_PORTAL.md §1.1).

Transport only: what a service's parameters hold is `wire.py`'s business. Thread-safe: the relay's sender
threads share one client and one session.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from connectors.dvcqg.errors import DvcqgAuthFailed, DvcqgRefused, DvcqgUnavailable

log = logging.getLogger(__name__)

# The adapter's answer to a session that expired or is unknown. The real code is **unconfirmed**
# (NATIONAL_PORTAL.md §1.1 shows only the success form); the emulator uses it, and the client also
# treats an HTTP 401 the same way.
SESSION_EXPIRED = "-2"


def is_success(reply: dict[str, Any]) -> bool:
    """`error_code` 0 as an integer (OCPS parses it: "0" and "00" both pass)."""
    try:
        return int(str(reply.get("error_code", "")).strip()) == 0
    except ValueError:
        return False


@dataclass(frozen=True)
class AdapterState:
    """What the adapter's calls of one process (or several, `merged`) say: the last success, and the last
    failure when it came after it."""

    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None

    def to_detail(self) -> dict[str, str | None]:
        """As a scheduler job report carries it (JSON)."""
        return {"last_success_at": _iso(self.last_success_at), "last_error": self.last_error,
                "last_error_at": _iso(self.last_error_at)}

    @classmethod
    def from_detail(cls, detail: dict[str, Any] | None) -> AdapterState:
        detail = detail or {}
        return cls(last_success_at=_parse(detail.get("last_success_at")), last_error=detail.get("last_error"),
                   last_error_at=_parse(detail.get("last_error_at")))

    def merged(self, other: AdapterState) -> AdapterState:
        """The calls of both: the latest success, and the latest failure if none succeeded after it."""
        successes = [at for at in (self.last_success_at, other.last_success_at) if at is not None]
        success = max(successes) if successes else None
        failures = [(state.last_error_at, state.last_error) for state in (self, other)
                    if state.last_error is not None and state.last_error_at is not None]
        at, error = max(failures, key=lambda failure: failure[0]) if failures else (None, None)
        if at is None or (success is not None and success >= at):
            return AdapterState(last_success_at=success)
        return AdapterState(last_success_at=success, last_error=error, last_error_at=at)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


class DvcqgClient:
    def __init__(
        self, *, adapter_url: str, username: str, password: str, dstcode: str, madonvi: str,
        session: requests.Session, timeout: float, now: Callable[[], datetime],
        auth_path: str = "/login", integration_path: str = "/integration", share_path: str = "/share",
    ) -> None:
        self._base = adapter_url.rstrip("/")
        self._username, self._password = username, password
        self._dstcode, self.madonvi = dstcode, madonvi
        self._http = session
        self._timeout = timeout
        self._now = now
        self._paths = {"auth": auth_path, "integration": integration_path, "share": share_path}
        self._session_id: str | None = None
        self._lock = threading.Lock()
        self.last_success_at: datetime | None = None
        self.last_error: str | None = None  # the last call's failure; None once a call succeeds
        self.last_error_at: datetime | None = None

    def adapter_state(self) -> AdapterState:
        """This process's calls: the last success and the failure since, if any."""
        return AdapterState(last_success_at=self.last_success_at, last_error=self.last_error,
                            last_error_at=self.last_error_at)

    def _succeeded(self) -> None:
        self.last_success_at, self.last_error, self.last_error_at = self._now(), None, None

    def _failed(self, error: str) -> None:
        self.last_error, self.last_error_at = error, self._now()

    # --- the session --------------------------------------------------------------------------------------

    def login(self) -> str:
        """Log in and keep the session; DvcqgAuthFailed when the adapter refuses the account."""
        reply = self._post(self._paths["auth"], {"username": self._username, "password": self._password})
        session_id = reply.get("session")
        if not is_success(reply) or not session_id:
            message = str(reply.get("message") or reply)
            self._failed(f"login refused: {message}")
            raise DvcqgAuthFailed(f"the DVCQG adapter refused the login of {self._username}: {message}")
        with self._lock:
            self._session_id = str(session_id)
        return str(session_id)

    def _current_session(self) -> str:
        with self._lock:
            session_id = self._session_id
        return session_id or self.login()

    # --- calls --------------------------------------------------------------------------------------------

    def call(self, service: str, params: dict[str, Any], *, share: bool = False,
             madonvi: str | None = None) -> dict[str, Any]:
        """Post `service` with `params` (plus `session`, `madonvi`, `service`) and return the whole reply when
        its `error_code` is 0; `madonvi` is the agency the call is about (a dossier's: the agency whose code
        starts its MaHoSo), our configured one when not given. An expired session is renewed once. Raises
        DvcqgUnavailable (no usable answer), DvcqgRefused (`error_code ≠ 0`) or DvcqgAuthFailed."""
        path = self._paths["share" if share else "integration"]
        for attempt in (1, 2):
            body = {"session": self._current_session(), "madonvi": madonvi or self.madonvi, "service": service,
                    **params}
            try:
                reply = self._post(path, body)
            except _SessionRejected:
                reply = {"error_code": SESSION_EXPIRED, "message": "HTTP 401"}
            if is_success(reply):
                self._succeeded()
                return reply
            code = str(reply.get("error_code", "")).strip()
            if code == SESSION_EXPIRED and attempt == 1:
                with self._lock:
                    self._session_id = None
                continue
            self._failed(f"{service}: error_code {code}: {reply.get('message')}")
            raise DvcqgRefused(code, str(reply.get("message") or ""))
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self._base + path
        try:
            response = self._http.post(url, json=body, headers={"dstcode": self._dstcode}, timeout=self._timeout)
        except requests.ConnectionError as exc:
            self._failed(f"connection failed: {exc}")
            raise DvcqgUnavailable(f"DVCQG adapter unreachable at {url}: {exc}", maybe_applied=False) from exc
        except requests.Timeout as exc:
            self._failed(f"timeout after {self._timeout} s")
            raise DvcqgUnavailable(f"DVCQG adapter timed out at {url}", maybe_applied=True) from exc
        except requests.RequestException as exc:
            self._failed(str(exc))
            raise DvcqgUnavailable(f"DVCQG call failed at {url}: {exc}", maybe_applied=True) from exc
        if response.status_code == 401:
            raise _SessionRejected()
        if response.status_code >= 500:
            self._failed(f"HTTP {response.status_code}")
            raise DvcqgUnavailable(f"DVCQG adapter answered HTTP {response.status_code}", maybe_applied=True)
        try:
            reply = response.json()
        except ValueError as exc:
            self._failed(f"HTTP {response.status_code}, not JSON")
            raise DvcqgUnavailable(f"DVCQG adapter answered HTTP {response.status_code} without JSON",
                                   maybe_applied=True) from exc
        if not isinstance(reply, dict):
            raise DvcqgUnavailable("DVCQG adapter answered JSON that is not an object", maybe_applied=True)
        return reply


class _SessionRejected(Exception):
    """HTTP 401 from the adapter: the session is not accepted."""
