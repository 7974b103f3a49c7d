"""The whole system wired on each backend (reference data, demo officials, deployed BPMN) and helpers to
put dossiers in it through the officials' API, as the citizens' lookups then find them."""

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
KARAOKE = "VHTTDL-KARAOKE"
APPLICANT = {
    "full_name": "Nguyễn Thị Hồng Nhung",
    "id_number": "008190012345",
    "phone": "0912345678",
    "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang",
}
# Digits that must never appear in a public answer (full phone, full ID, the phone without its 0).
SECRETS = ("0912345678", "912345678", "008190012345", "84912345678")

Login = Callable[[str], dict[str, str]]


@pytest.fixture
def app_client(settings: Settings, clock: ManualClock, db: Any) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, start_background=False)
    with TestClient(app) as client:
        wiring = app.state.wiring
        with session_scope(wiring.db) as session:
            seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True, hasher=wiring.password_hasher)
        yield client


@pytest.fixture
def login(app_client: TestClient) -> Login:
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in cache:
            response = app_client.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            cache[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return cache[username]

    return headers


def intake(
    client: TestClient,
    login: Login,
    *,
    applicant: dict[str, Any] | None = None,
    accept: bool = True,
    procedure: str = KARAOKE,
) -> dict[str, Any]:
    """A dossier received at the counter (accepted at once unless `accept=False`)."""
    body = {
        "procedure_code": procedure,
        "channel": "counter",
        "applicant": applicant or APPLICANT,
        "notify_zalo": True,
        "accept": accept,
    }
    response = client.post("/api/v1/dossiers", json=body, headers=login("mot_cua"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def assert_nothing_personal(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked in {text[:300]}"
    assert "Hồng Nhung" not in text and "Hong Nhung" not in text, text[:300]


@pytest.fixture
def dossier(app_client: TestClient, login: Login) -> dict[str, Any]:
    return intake(app_client, login)
