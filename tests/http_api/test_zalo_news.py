"""Issue 18 part 8 over HTTP: an administrator publishes a guide with a video on the OA (uploaded, converted,
the article created and verified after Zalo's processing), finds it in the OA's article list, broadcasts it to
a follower tag, and only the followers with that tag receive it in the emulator; `TIN TỨC` in the chat lists
it with its link. Who may do this: the administrator alone (403 for every other role)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests
from fastapi.testclient import TestClient
from live import BPMN_DIR, Citizen, live_server, wait_for
from sqlmodel import Session, select
from test_zalo_citizen import ask
from test_zalo_e2e import Officials

from api.main import create_app
from connectors.outbox import OutboxMessage
from connectors.zalo.articles import ArticleApi
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.seed import seed_all
from workflows.zalo.article_jobs import JOB

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096
COVER = "https://motcua.example.gov.vn/static/huong-dan-bia.jpg"
GUIDE = {"kind": "guide", "title": "Hướng dẫn nộp hồ sơ trực tuyến trên Cổng dịch vụ công",
         "summary": "Video 3 phút: đăng nhập VNeID, chọn thủ tục, tải giấy tờ.", "body": "", "published": True}
ROLES = ["mot_cua", "lanh_dao_phong", "chuyen_vien", "lanh_dao_so", "van_thu", "giam_sat", "mot_cua_dl"]


class TestNewsOnZalo:
    def test_a_video_guide_is_published_and_broadcast_to_a_tag(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        with live_server(settings, clock) as (base, wiring):
            admin = Officials(base).headers("quan_tri")
            minh_xuan, tan_trao, untagged = (Citizen(base, f"8490000001{i}") for i in range(3))
            for citizen in (minh_xuan, tan_trao, untagged):
                citizen.act("follow")
            # Tags are given in the OA manager or through the API (§6.3); here through the production client.
            tags = ArticleApi(wiring.zalo)
            tags.tag_follower(minh_xuan.user_id, "xa_minh_xuan")
            tags.tag_follower(tan_trao.user_id, "xa_tan_trao")

            created = requests.post(f"{base}/api/v1/news", json=GUIDE, headers=admin, timeout=10)
            assert created.status_code == 201, created.text
            news_id = created.json()["id"]
            url = f"{base}/api/v1/news/{news_id}/zalo"

            def state() -> dict[str, Any]:
                response = requests.get(url, headers=admin, timeout=10)
                assert response.status_code == 200, response.text
                return dict(response.json())

            def run() -> None:
                wiring.scheduler.run_once(JOB)

            assert (state()["state"], state()["state_name"]) == ("not_published", "Chưa đăng")
            published = requests.post(f"{url}/publish", data={"cover_url": COVER}, headers=admin, timeout=30,
                                      files={"video": ("huong-dan-nop-truc-tuyen.mp4", MP4, "video/mp4")})
            assert published.status_code == 202, published.text
            assert published.json() | {"next_attempt_at": None} == published.json() | {
                "state": "waiting", "state_name": "Chờ đăng", "kind": "video", "next_attempt_at": None}
            again = requests.post(f"{url}/publish", data={"cover_url": COVER}, headers=admin, timeout=10)
            assert again.status_code == 409 and again.json()["code"] == "zalo_article_in_progress"

            # Uploaded; Zalo converts the video for 30 s (emulator clock): the item is "being processed".
            processing = wait_for(lambda: state() if state()["state"] == "processing" else None, tick=run)
            assert processing and processing["state_name"] == "Đang xử lý" and processing["article_id"] is None
            assert processing["step_name"] == "Zalo đang chuyển đổi video"
            clock.advance(timedelta(seconds=31))
            # Converted: the article is created, and Zalo answers -214 while it processes it (10 s).
            listing = f"{base}/api/v1/admin/zalo/articles"
            assert wait_for(lambda: state()["step"] == "verify_article" and state()["attempts"] >= 1, tick=run)
            assert (state()["state"], state()["step_name"]) == ("processing", "Zalo đang xử lý bài viết")
            assert requests.get(listing, headers=admin, timeout=10).json()["items"] == []
            assert state()["last_error"] is None  # waiting for Zalo is not an error
            clock.advance(timedelta(seconds=11))
            done = wait_for(lambda: state() if state()["state"] == "published" else None, tick=run)
            assert done and done["state_name"] == "Đã đăng" and done["article_id"] and done["link"]

            oa = requests.get(listing, headers=admin, timeout=10).json()
            assert [(i["article_id"], i["kind"], i["title"], i["news_id"]) for i in oa["items"]] == [
                (done["article_id"], "video", GUIDE["title"], news_id)]
            assert oa["total"] == {"normal": 0, "video": 1} and oa["zalo_error"] is None

            sent = requests.post(f"{url}/broadcast", json={"tag": "xa_minh_xuan"}, headers=admin, timeout=10)
            assert sent.status_code == 202, sent.text
            assert (sent.json()["state"], sent.json()["state_name"], sent.json()["tag"]) == (
                "waiting", "Chờ gửi", "xa_minh_xuan")
            delivered = wait_for(lambda: state()["broadcasts"][0]["state"] == "sent", tick=run)
            assert delivered and state()["broadcasts"][0]["recipients"] == 1
            expected = (f"Video hướng dẫn: {GUIDE['title']}\n{GUIDE['summary']}\n"
                        f"Xem bài viết: {done['link']}")
            assert wait_for(lambda: [m for m in minh_xuan.inbox() if m.get("text") == expected])
            with Session(wiring.db) as session:
                rows = session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref == f"news:{news_id}")).all()
            assert [(r.recipient_ref, r.status) for r in rows] == [(f"zalo:{minh_xuan.user_id}", "sent")]
            for other in (tan_trao, untagged):
                assert not [m for m in other.inbox() if GUIDE["title"] in str(m.get("text"))]

            answer = ask(untagged, "TIN TỨC")
            assert answer == f"Tin tức mới nhất trên Zalo:\n• [Video] {GUIDE['title']}\n  {done['link']}"
            assert ask(untagged, "tin tuc") == answer


class TestAccess:
    def test_only_the_administrator_publishes_broadcasts_and_lists(
        self, app_client: TestClient, login: Callable[[str], dict[str, str]]
    ) -> None:
        news_id = app_client.post("/api/v1/news", json=GUIDE, headers=login("quan_tri")).json()["id"]
        calls = [("POST", f"/api/v1/news/{news_id}/zalo/publish", {"data": {"cover_url": COVER}}),
                 ("GET", f"/api/v1/news/{news_id}/zalo", {}),
                 ("POST", f"/api/v1/news/{news_id}/zalo/broadcast", {"json": {"tag": "xa_minh_xuan"}}),
                 ("GET", "/api/v1/admin/zalo/articles", {})]
        for method, path, body in calls:
            for role in ROLES:
                response = app_client.request(method, path, headers=login(role), **body)
                assert response.status_code == 403, (role, method, path, response.text)
            assert app_client.request(method, path, **body).status_code == 401
        state = app_client.get(f"/api/v1/news/{news_id}/zalo", headers=login("quan_tri"))
        assert state.json()["state"] == "not_published"
        # Zalo not granted (no token here): the OA's list is empty and says why.
        listing = app_client.get("/api/v1/admin/zalo/articles", headers=login("quan_tri"))
        assert listing.status_code == 200 and listing.json()["items"] == []
        assert listing.json()["zalo_error"].startswith("Không lấy được danh sách bài viết từ Zalo ([http -]")
        # The administrator is refused what the state does not allow, in Vietnamese, naming the reason.
        broadcast = app_client.post(f"/api/v1/news/{news_id}/zalo/broadcast", json={}, headers=login("quan_tri"))
        assert broadcast.status_code == 409 and broadcast.json()["code"] == "zalo_article_not_published"
        assert broadcast.json()["detail"] == "Tin chưa được đăng lên Zalo; chỉ gửi được bài đã đăng."
        bad = app_client.post(f"/api/v1/news/{news_id}/zalo/publish", headers=login("quan_tri"),
                              data={"cover_url": COVER}, files={"video": ("huong-dan.mov", b"x", "video/quicktime")})
        assert bad.status_code == 422 and bad.json()["errors"] == [
            {"field": "video", "message": "Tệp video: chỉ nhận tệp MP4 hoặc AVI."}]
        no_cover = app_client.post(f"/api/v1/news/{news_id}/zalo/publish", headers=login("quan_tri"), data={})
        assert no_cover.status_code == 422
        assert no_cover.json()["errors"][0]["message"].startswith("Ảnh bìa")


class TestVideoSize:
    def test_a_video_over_the_upload_limit_is_refused_and_nothing_is_queued(
        self, settings: Settings, clock: ManualClock, db: Any
    ) -> None:
        small = settings.model_copy(update={"storage": settings.storage.model_copy(update={"max_upload_bytes": 2048})})
        app = create_app(small, clock=clock, start_background=False)
        with TestClient(app) as client:
            with session_scope(app.state.wiring.db) as session:
                seed_all(session, engine=app.state.wiring.engine, bpmn_dir=BPMN_DIR, demo=True,
                     hasher=app.state.wiring.password_hasher)
            token = client.post("/api/v1/auth/token", data={"username": "quan_tri", "password": "motcua-demo"})
            admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
            news_id = client.post("/api/v1/news", json=GUIDE, headers=admin).json()["id"]
            refused = client.post(f"/api/v1/news/{news_id}/zalo/publish", headers=admin, data={"cover_url": COVER},
                                  files={"video": ("huong-dan.mp4", MP4, "video/mp4")})
            assert refused.status_code == 413, refused.text
            assert (refused.json()["code"], refused.json()["detail"]) == ("video_too_large", "Tệp video vượt quá 2 KB.")
            assert client.get(f"/api/v1/news/{news_id}/zalo", headers=admin).json()["state"] == "not_published"
