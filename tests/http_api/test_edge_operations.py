"""Production mode over HTTP on both databases (issue 15 item 9): the API docs only when a setting allows,
metrics and readiness details only for the metrics token or an administrator; development stays open."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.main import create_app
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.identity.seed import DEMO_PASSWORD, seed_demo
from workflows.identity.service import password_hasher

METRICS_TOKEN = secrets.token_urlsafe(32)
OPERATORS_ONLY = "Chỉ người vận hành (mã thông báo giám sát) hoặc quản trị hệ thống được xem thông tin này."

Serve = Callable[..., Any]


@pytest.fixture
def serve(settings: Settings, clock: ManualClock, db: Engine) -> Serve:
    with Session(db) as session:
        seed_demo(session, now=clock.now(), hasher=password_hasher(settings.auth.argon2))
        session.commit()

    @contextmanager
    def running(env: str, **http: Any) -> Iterator[TestClient]:
        changed = settings.model_dump()
        changed.update(env=env, http={"metrics_token": METRICS_TOKEN, **http})
        if env == "production":
            changed.update(
                auth={**changed["auth"], "secret_key": secrets.token_urlsafe(32)},
                crypto={"data_key": Fernet.generate_key().decode(), "hmac_key": secrets.token_urlsafe(32)},
                zalo={**changed["zalo"], "emulator": False, "app_secret": "zalo-app-secret-20c",
                      "oa_secret_key": "zalo-oa-secret-key-20"},
                dvcqg={**changed["dvcqg"], "emulator": False,
                       "adapter": {**changed["dvcqg"]["adapter"], "password": "adapter-password-of-the-province"},
                       "payment": {**changed["dvcqg"]["payment"], "secret": "payment-platform-secret-key"}})
        with TestClient(create_app(Settings(**changed), clock=clock, start_background=False)) as client:
            yield client

    return running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(client: TestClient, username: str) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


class TestProduction:
    def test_the_api_docs_are_not_served(self, serve: Serve) -> None:
        with serve("production") as client:
            for path in ("/docs", "/redoc", "/openapi.json"):
                response = client.get(path)
                assert response.status_code == 404 and response.json()["code"] == "not_found", path
            assert client.get("/healthz").json() == {"status": "ok"}

    def test_a_setting_serves_them(self, serve: Serve) -> None:
        with serve("production", docs=True) as client:
            assert client.get("/openapi.json").status_code == 200
            assert client.get("/docs").status_code == 200

    def test_metrics_need_the_metrics_token_or_an_administrator(self, serve: Serve) -> None:
        with serve("production") as client:
            anonymous = client.get("/metrics")
            assert anonymous.status_code == 401 and anonymous.json()["code"] == "operator_token_required"
            assert anonymous.json()["detail"] == OPERATORS_ONLY
            assert client.get("/metrics", headers=bearer("a")).status_code == 401
            clerk = client.get("/metrics", headers=bearer(token_of(client, "giam_sat")))
            assert clerk.status_code == 403 and clerk.json()["code"] == "operator_only"
            assert client.get("/metrics", headers=bearer(METRICS_TOKEN)).status_code == 200
            admin = client.get("/metrics", headers=bearer(token_of(client, "quan_tri")))
            assert admin.status_code == 200 and "# TYPE" in admin.text

    def test_readiness_tells_anyone_only_its_status(self, serve: Serve) -> None:
        with serve("production") as client:
            anonymous = client.get("/readyz")
            assert anonymous.status_code == 200 and anonymous.json() == {"status": "ok"}
            assert client.get("/readyz", headers=bearer(token_of(client, "mot_cua"))).json() == {"status": "ok"}
            detailed = client.get("/readyz", headers=bearer(METRICS_TOKEN)).json()
            assert detailed["database"] == "ok" and "scheduler" in detailed and "zalo_templates" in detailed


class TestDevelopment:
    def test_docs_metrics_and_readiness_stay_open(self, serve: Serve) -> None:
        with serve("development") as client:
            assert client.get("/openapi.json").status_code == 200
            assert client.get("/docs").status_code == 200
            assert client.get("/metrics").status_code == 200
            assert set(client.get("/readyz").json()) == {"status", "database", "scheduler", "zalo_templates", "zalo",
                                                      "dvcqg"}
