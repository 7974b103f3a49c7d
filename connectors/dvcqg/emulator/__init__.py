"""A DVCQG stand-in speaking the protocol of NATIONAL_PORTAL.md over HTTP (development and tests).

`create_dvcqg_emulator_app(...)` returns one FastAPI app: the adapter (`/adapter/login`, `/adapter/integration`,
`/adapter/share`), the citizen side that pushes online submissions to the province, the payment platform
(`/payment/...`), and test hooks (`/ledger`, `/faults`). Mount it with `prefix=""` under `/dvcqg-emulator`, or
serve it on its own (`motcua dvcqg-emulator`). State lives in memory (`app.state.dvcqg_emulator`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI

from connectors.dvcqg.emulator.app import DSTCODE, create_app
from connectors.dvcqg.emulator.state import FAULT_KINDS, EmulatorState, EmuRefusal

__all__ = ["DSTCODE", "FAULT_KINDS", "EmuRefusal", "EmulatorState", "create_dvcqg_emulator_app"]


def create_dvcqg_emulator_app(
    *, username: str, password: str, madonvi: str, now: Callable[[], datetime], prefix: str = "/dvcqg-emulator",
    session_ttl: timedelta = timedelta(minutes=30), fault_timeout_seconds: float = 20.0,
    settings: dict[str, Any] | None = None,
) -> FastAPI:
    """`settings` carries what the citizen and payment sides need: `push_url`, `push_key` (where and with
    which API key DVCQG pushes submissions to the province), `payment_partner_code`, `payment_secret`,
    `payment_token`."""
    state = EmulatorState(username=username, password=password, madonvi=madonvi, now=now,
                          session_ttl=session_ttl, fault_timeout_seconds=fault_timeout_seconds)
    return create_app(state, prefix=prefix.rstrip("/"), settings=dict(settings or {}))
