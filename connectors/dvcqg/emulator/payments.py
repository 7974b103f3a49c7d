"""The DVCQG payment platform (PhienBan 1.0.6): INIT, the payer page, signed callbacks, QUERY, GET_BILL."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from connectors.dvcqg.emulator.state import EmulatorState


def routes(state: EmulatorState, settings: dict[str, Any]) -> APIRouter:
    return APIRouter()
