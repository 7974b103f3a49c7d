"""Login throttling over HTTP on both databases (issue 15 item 6): a guessing run is slowed, then locked
(429 with Retry-After, the right password refused too), audited, and unlocked by an administrator."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api import cli
from api.main import create_app
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.identity.seed import DEMO_PASSWORD

TOKEN = "/api/v1/auth/token"
LOCKED = ("Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần; vui lòng thử lại sau 15 phút hoặc liên hệ "
          "quản trị viên để mở khóa.")


def attempt(client: TestClient, username: str, password: str = "doan-bua-1234") -> httpx.Response:
    return client.post(TOKEN, data={"username": username, "password": password})


def actions(db: Engine, action: str) -> list[AuditEntry]:
    with Session(db) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)
                                 .order_by(col(AuditEntry.id))).all())


@pytest.fixture
def app(settings: Settings, clock: ManualClock, demo: None) -> FastAPI:
    return create_app(settings, clock=clock, start_background=False)


@pytest.fixture
def other_client(app: FastAPI, client: TestClient) -> Iterator[TestClient]:
    """The same server seen from another address (the lifespan is the first client's)."""
    other = TestClient(app, client=("198.51.100.9", 40000))
    other.portal = client.portal
    yield other


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:  # overrides the identity fixture: the app is shared
    with TestClient(app) as test_client:
        yield test_client


class TestAccountThrottle:
    def test_guessing_is_slowed_then_locked_and_the_right_password_waits_too(
        self, client: TestClient, clock: ManualClock, db: Engine,
    ) -> None:
        for _ in range(6):  # five free failures, the sixth brings a 2-second wait
            assert attempt(client, "mot_cua").json()["code"] == "invalid_credentials"
        early = attempt(client, "mot_cua", DEMO_PASSWORD)
        assert early.status_code == 429 and early.headers["retry-after"] == "2"
        assert early.headers["content-type"].startswith("application/problem+json")
        assert early.json()["code"] == "login_delayed"
        assert early.json()["detail"] == "Đăng nhập sai nhiều lần; vui lòng chờ 2 giây rồi thử lại."
        for wait in (2, 4, 8, 16):  # each failure doubles the wait; the tenth locks
            assert attempt(client, "mot_cua").status_code == 429
            clock.advance(timedelta(seconds=wait))
            assert attempt(client, "mot_cua").status_code == 401
        locked = attempt(client, "mot_cua", DEMO_PASSWORD)
        assert locked.status_code == 429 and locked.headers["retry-after"] == "900"
        assert locked.json() == {**locked.json(), "code": "account_locked", "detail": LOCKED}
        assert attempt(client, "chuyen_vien", DEMO_PASSWORD).status_code == 200  # others are not locked out

        failed = actions(db, "auth.login_failed")
        assert len(failed) == 10 and {entry.data["username"] for entry in failed} == {"mot_cua"}
        lock = actions(db, "auth.login_locked")
        assert [entry.data["scope"] for entry in lock] == ["account"]

        clock.advance(timedelta(minutes=15))  # the lock ends by itself; a further failure locks again
        assert attempt(client, "mot_cua").status_code == 401
        assert attempt(client, "mot_cua", DEMO_PASSWORD).json()["code"] == "account_locked"

    def test_an_administrator_unlocks_and_it_is_audited(self, client: TestClient, db: Engine) -> None:
        for _ in range(30):  # 30 wrong passwords in a burst: most are refused unverified
            attempt(client, "mot_cua")
        assert len(actions(db, "auth.login_failed")) == 6
        assert attempt(client, "mot_cua", DEMO_PASSWORD).status_code == 429
        admin = attempt(client, "quan_tri", DEMO_PASSWORD).json()["access_token"]
        clerk = attempt(client, "chuyen_vien", DEMO_PASSWORD).json()["access_token"]
        url = "/api/v1/admin/officials/mot_cua/unlock"
        refused = client.post(url, headers={"Authorization": f"Bearer {clerk}"})
        assert refused.status_code == 403
        unlocked = client.post(url, headers={"Authorization": f"Bearer {admin}"})
        assert unlocked.status_code == 200 and unlocked.json() == {"username": "mot_cua", "was_locked": True}
        assert attempt(client, "mot_cua", DEMO_PASSWORD).status_code == 200
        [entry] = actions(db, "auth.login_unlocked")
        assert entry.actor == "quan_tri" and entry.data["username"] == "mot_cua"
        missing = client.post("/api/v1/admin/officials/khong_co/unlock", headers={"Authorization": f"Bearer {admin}"})
        assert missing.status_code == 404 and missing.json()["code"] == "official_not_found"

    def test_attempts_sent_at_once_are_each_counted(self, client: TestClient) -> None:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: attempt(client, "mot_cua").status_code, range(24)))
        assert statuses.count(401) == 6 and statuses.count(429) == 18


class TestClientThrottle:
    def test_spraying_many_accounts_from_one_address_is_throttled_there_only(
        self, client: TestClient, other_client: TestClient, db: Engine,
    ) -> None:
        for n in range(21):  # one guess per account: the account limits never apply
            assert attempt(client, f"khach_{n:02d}").status_code == 401
        refused = attempt(client, "mot_cua", DEMO_PASSWORD)
        assert refused.status_code == 429 and refused.json()["code"] == "login_delayed"
        assert attempt(other_client, "mot_cua", DEMO_PASSWORD).status_code == 200
        failed = actions(db, "auth.login_failed")
        assert len(failed) == 21 and all(entry.data["username"] is None for entry in failed)
        assert all("khach" not in str(entry.data) for entry in failed)  # typed usernames are not kept


class TestCommandLine:
    def test_unlock_user_lifts_the_lock(self, client: TestClient, db: Engine, database_url: str,
                                        clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
        clock.set(datetime.now(UTC))  # the command runs on the system clock
        for wait in (0, 0, 0, 0, 0, 0, 2, 4, 8, 16):
            clock.advance(timedelta(seconds=wait))
            assert attempt(client, "van_thu").status_code == 401
        assert attempt(client, "van_thu", DEMO_PASSWORD).json()["code"] == "account_locked"
        monkeypatch.setenv("MOTCUA_DATABASE__URL", database_url)
        result = CliRunner().invoke(cli.app, ["unlock-user", "van_thu"])
        assert result.exit_code == 0 and result.output == "van_thu: unlocked\n", result.output
        assert attempt(client, "van_thu", DEMO_PASSWORD).status_code == 200
        assert [entry.actor for entry in actions(db, "auth.login_unlocked")] == ["cli"]
        unknown = CliRunner().invoke(cli.app, ["unlock-user", "khong_co"])
        assert unknown.exit_code == 1 and "Không tìm thấy cán bộ khong_co." in unknown.output
