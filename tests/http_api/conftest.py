"""An app with the whole system wired on each backend: reference data, demo officials, deployed BPMN."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.seed import seed_all

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
PASSWORD = "motcua-demo"


@pytest.fixture
def app_client(settings: Settings, clock: ManualClock, db: Any) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, start_background=False)
    with TestClient(app) as client:
        wiring = app.state.wiring
        with session_scope(wiring.db) as session:
            seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True, hasher=wiring.password_hasher)
        yield client


@pytest.fixture
def login(app_client: TestClient, clock: ManualClock) -> Callable[[str], dict[str, str]]:
    """Bearer headers for a demo official; logs in again when the test clock has moved past the token."""
    cache: dict[tuple[str, int], dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        slot = (username, int(clock.now().timestamp() // 600))
        if slot not in cache:
            response = app_client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            cache[slot] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return cache[slot]

    return headers
