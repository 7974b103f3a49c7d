"""GET /api/v1/notifications (the caller's own, paginated, unread filter), mark read, the scheduler state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.scheduler.assembly import Domain, vn
from tests.scheduler.conftest import complete, intake, open_item, set_due


@pytest.fixture
def client(domain: Domain) -> Iterator[TestClient]:
    with TestClient(create_app(domain.settings, clock=domain.clock, start_background=False)) as client:
        yield client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": "motcua-demo"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_officials_read_their_own_notifications(domain: Domain, client: TestClient) -> None:
    code = intake(domain)
    complete(domain, "lanh_dao_phong", code, {"case_officer": "chuyen_vien"})
    task = open_item(domain, code).id
    set_due(domain, task, due_at=vn(2026, 11, 30, 9, 0))
    domain.clock.set(vn(2026, 11, 30, 9, 30))
    domain.scheduler().run_once("reminders")  # overdue + apology_due to chuyen_vien, escalation to the head

    officer = login(client, "chuyen_vien")
    page = client.get("/api/v1/notifications", headers=officer).json()
    assert page["total"] == 2 and page["page"] == 1 and page["page_size"] == 20
    assert sorted(n["kind"] for n in page["items"]) == ["apology_due", "overdue"]
    overdue = next(n for n in page["items"] if n["kind"] == "overdue")
    assert overdue["task_id"] == task and overdue["dossier_code"] == code and overdue["read_at"] is None
    assert overdue["title"].startswith("Quá hạn") and "09:00 ngày 30/11/2026" in overdue["body"]

    one = client.get("/api/v1/notifications", params={"page_size": 1, "page": 2}, headers=officer).json()
    assert one["total"] == 2 and len(one["items"]) == 1

    read = client.post(f"/api/v1/notifications/{overdue['id']}/read", headers=officer)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    unread = client.get("/api/v1/notifications", params={"unread": "true"}, headers=officer).json()
    assert [n["kind"] for n in unread["items"]] == ["apology_due"]

    head = login(client, "lanh_dao_phong")
    theirs = client.get("/api/v1/notifications", headers=head).json()
    assert [n["kind"] for n in theirs["items"]] == ["escalation"]
    other = client.post(f"/api/v1/notifications/{overdue['id']}/read", headers=head)
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/notifications").status_code == 401


def test_scheduler_state_is_for_administrators_and_supervisors(client: TestClient) -> None:
    assert client.get("/api/v1/admin/scheduler", headers=login(client, "chuyen_vien")).status_code == 403
    response = client.get("/api/v1/admin/scheduler", headers=login(client, "quan_tri"))
    assert response.status_code == 200
    assert "running" in response.json()
