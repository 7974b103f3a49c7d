"""Feedback round trip (web → officials' tasks through the engine → answer queued for the citizen), the
reminder timer, news administration and the citizens' page, through HTTP on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from connectors.outbox import OutboxMessage
from tests.citizen.conftest import Login, assert_nothing_personal
from workflows.core.clock import ManualClock
from workflows.core.db import session_scope
from workflows.feedback.models import FeedbackCase
from workflows.zalo.recipients import resolve_recipient

FEEDBACK = {
    "category": "ho_so",
    "content": "Hồ sơ của tôi đã quá hẹn mà chưa thấy thông báo gì.",
    "contact_name": "Nguyễn Văn An",
    "contact_phone": "0912345678",
}


def open_task(client: TestClient, login: Login, user: str, code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/feedback/{code}", headers=login(user))
    assert response.status_code == 200, response.text
    [task] = response.json()["open_tasks"]
    return dict(task)


def complete(client: TestClient, login: Login, user: str, code: str, data: dict[str, Any]) -> dict[str, Any]:
    task = open_task(client, login, user, code)
    response = client.post(
        f"/api/v1/feedback/{code}/tasks/{task['id']}/complete", json={"data": data}, headers=login(user)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestFeedbackRoundTrip:
    def test_web_feedback_answered_and_queued_for_the_citizen(
        self,
        app_client: TestClient,
        login: Login,
        dossier: dict[str, Any],
    ) -> None:
        created = app_client.post(
            "/api/v1/public/feedback", json={**FEEDBACK, "dossier_code": dossier["code"]}
        )
        assert created.status_code == 201, created.text
        code = created.json()["code"]
        assert code.startswith("PAKN-261124-")
        assert created.json()["due_at"].startswith("2026-12-08")  # 10 working days
        assert_nothing_personal(created.text)

        case = app_client.get(f"/api/v1/feedback/{code}", headers=login("mot_cua")).json()
        assert case["status"] == "MOI" and case["contact_phone"] == "0912***678"
        assert case["dossier_code"] == dossier["code"]
        assert (
            complete(app_client, login, "mot_cua", code, {"phan_loai": "ho_so"})["status"] == "CHO_PHAN_CONG"
        )
        assigned = complete(app_client, login, "lanh_dao_phong", code, {"chuyen_vien": "chuyen_vien"})
        assert assigned["status"] == "DANG_XU_LY" and assigned["assignee"] == "chuyen_vien"
        assert assigned["open_tasks"][0]["assignee"] == "chuyen_vien"
        answer = "Hồ sơ của ông/bà đã được thẩm định, dự kiến trả kết quả ngày 01/12/2026."
        done = complete(app_client, login, "chuyen_vien", code, {"tra_loi": answer})
        assert done["status"] == "DA_TRA_LOI" and done["answer"] == answer and done["open_tasks"] == []

        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        with session_scope(wiring.db) as session:
            [message] = session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == "feedback_answer")
            ).all()
            row = session.exec(select(FeedbackCase).where(FeedbackCase.code == code)).one()
            assert message.recipient_ref == f"feedback:{row.id}" and message.subject_ref == code
            assert answer in message.payload["text"]
            assert_nothing_personal(repr(message.payload))
            recipient = resolve_recipient(session, ref=message.recipient_ref, cipher=wiring.cipher)
        assert recipient is not None and recipient.phone_84 == "84912345678"

    def test_refusals(self, app_client: TestClient, login: Login) -> None:
        no_contact = app_client.post("/api/v1/public/feedback", json={**FEEDBACK, "contact_phone": None})
        assert no_contact.status_code == 422 and no_contact.json()["code"] == "validation_failed"
        short = app_client.post("/api/v1/public/feedback", json={**FEEDBACK, "content": "ngắn"})
        assert short.status_code == 422
        code = app_client.post("/api/v1/public/feedback", json=FEEDBACK).json()["code"]
        task = open_task(app_client, login, "mot_cua", code)
        wrong_role = app_client.post(
            f"/api/v1/feedback/{code}/tasks/{task['id']}/complete",
            json={"data": {"phan_loai": "khac"}},
            headers=login("chuyen_vien"),
        )
        assert wrong_role.status_code == 404
        other_department = app_client.get(f"/api/v1/feedback/{code}", headers=login("mot_cua_dl"))
        assert other_department.status_code == 404
        complete(app_client, login, "mot_cua", code, {"phan_loai": "khac"})
        bad_officer = app_client.post(
            f"/api/v1/feedback/{code}/tasks/{open_task(app_client, login, 'lanh_dao_phong', code)['id']}"
            "/complete",
            json={"data": {"chuyen_vien": "mot_cua"}},
            headers=login("lanh_dao_phong"),
        )
        assert bad_officer.status_code == 422

    def test_reminder_before_the_deadline(
        self, app_client: TestClient, login: Login, clock: ManualClock
    ) -> None:
        code = app_client.post("/api/v1/public/feedback", json=FEEDBACK).json()["code"]
        complete(app_client, login, "mot_cua", code, {"phan_loai": "ho_so"})
        complete(app_client, login, "lanh_dao_phong", code, {"chuyen_vien": "chuyen_vien"})
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        with session_scope(wiring.db) as session:
            row = session.exec(select(FeedbackCase).where(FeedbackCase.code == code)).one()
            assert wiring.engine.due_timer_instance_ids(session) == []
        clock.advance(timedelta(days=11))  # past 2026-12-04 17:00, two working days before the deadline
        with session_scope(wiring.db) as session:
            assert row.instance_id in wiring.engine.due_timer_instance_ids(session)
            wiring.engine.fire_timers(session, instance_id=row.instance_id)
        with session_scope(wiring.db) as session:
            reminded = session.exec(select(FeedbackCase).where(FeedbackCase.code == code)).one()
            assert reminded.reminded_at is not None and reminded.status == "DANG_XU_LY"
        assert open_task(app_client, login, "chuyen_vien", code)["step"] == "tra_loi_pakn"


class TestNews:
    def test_admin_manages_citizens_read_published(self, app_client: TestClient, login: Login) -> None:
        body = {
            "kind": "guide",
            "title": "Hướng dẫn nộp hồ sơ karaoke trực tuyến",
            "summary": "Các bước nộp",
            "body": "Bước 1 …",
            "video_url": "https://video.example.vn/huong-dan.mp4",
            "published": False,
        }
        assert app_client.post("/api/v1/news", json=body, headers=login("mot_cua")).status_code == 403
        created = app_client.post("/api/v1/news", json=body, headers=login("quan_tri"))
        assert created.status_code == 201, created.text
        news_id = created.json()["id"]
        assert app_client.get("/api/v1/public/news").json()["items"] == []
        published = app_client.put(
            f"/api/v1/news/{news_id}", json={**body, "published": True}, headers=login("quan_tri")
        )
        assert published.json()["published_at"] is not None
        [item] = app_client.get("/api/v1/public/news", params={"kind": "guide"}).json()["items"]
        assert item["title"] == body["title"] and item["video_url"] == body["video_url"]
        assert app_client.delete(f"/api/v1/news/{news_id}", headers=login("quan_tri")).status_code == 204
        assert app_client.get("/api/v1/public/news").json()["items"] == []
        assert (
            app_client.put(f"/api/v1/news/{news_id}", json=body, headers=login("quan_tri")).status_code == 404
        )


class TestCatalogueAndPage:
    def test_public_procedures(self, app_client: TestClient) -> None:
        items = app_client.get("/api/v1/public/procedures").json()["items"]
        karaoke = next(p for p in items if p["code"] == "VHTTDL-KARAOKE")
        assert karaoke["time_limit"] == "5 ngày làm việc"
        assert karaoke["documents"] and karaoke["fees"] and "Một cửa" in karaoke["where_to_submit"]
        found = app_client.get("/api/v1/public/procedures", params={"q": "KARAOKE"}).json()["items"]
        assert [p["code"] for p in found] == ["VHTTDL-KARAOKE"]

    def test_page_prefills_code_escaped_and_serves_assets(self, app_client: TestClient) -> None:
        page = app_client.get("/tra-cuu", params={"ma": "H60.22-261124-0001"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'value="H60.22-261124-0001"' in page.text and "Tra cứu hồ sơ" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        hostile = app_client.get("/tra-cuu", params={"ma": '"><script>alert(1)</script>'})
        assert "<script>alert" not in hostile.text
        assert (
            app_client.get("/tra-cuu/static/tra-cuu.js").headers["content-type"].startswith("text/javascript")
        )
        assert app_client.get("/tra-cuu/static/tra-cuu.css").status_code == 200
        assert app_client.get("/tra-cuu/static/..%2Fweb.py").status_code == 404
