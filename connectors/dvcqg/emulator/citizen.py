"""The citizen's side of DVCQG: online submissions, pushed to the province as DVCQG would."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from connectors.dvcqg.emulator.state import EmulatorState


def routes(state: EmulatorState, settings: dict[str, Any]) -> APIRouter:
    return APIRouter()
