"""Zalo's Article API, video upload, tags and broadcast through the production client (connectors/zalo/articles.py)
against the emulator over HTTP: Zalo's asynchronous processing (a video converting, -214 for an article),
the listing back, the refusals with Zalo's codes, and a broadcast reaching the followers only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from zalo_world import ZaloWorld

from connectors.zalo.articles import ArticleApi
from connectors.zalo.errors import ZaloBadRequest

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2048
COVER = "https://motcua.example.gov.vn/static/bia.jpg"


def api(zalo: ZaloWorld) -> ArticleApi:
    return ArticleApi(zalo.client)


class TestArticles:
    def test_a_video_article_waits_for_the_conversion_and_the_processing(self, zalo: ZaloWorld) -> None:
        articles = api(zalo)
        token = articles.prepare_video("huong-dan.mp4", MP4)
        converting = articles.video_status(token)
        assert converting.status == 3 and not converting.ready and converting.converting
        with pytest.raises(ZaloBadRequest, match="video_id is invalid"):  # an unknown video is refused
            articles.create_video(title="Hướng dẫn", description="", video_id="khong-co", avatar_url=COVER)
        zalo.clock.advance(timedelta(seconds=30))
        ready = articles.video_status(token)
        assert ready.ready and ready.video_id and ready.percent == 100

        article_token = articles.create_video(title="Hướng dẫn nộp hồ sơ trực tuyến", description="Video 3 phút",
                                              video_id=ready.video_id, avatar_url=COVER)
        assert articles.verify_article(article_token) is None  # -214 "Article is being processed"
        assert articles.list_slice(kind="video") == ([], 0)  # not listed before it is processed
        zalo.clock.advance(timedelta(seconds=10))
        article_id = articles.verify_article(article_token)
        assert article_id
        medias, total = articles.list_slice(kind="video")
        assert total == 1 and medias[0]["id"] == article_id and medias[0]["title"] == "Hướng dẫn nộp hồ sơ trực tuyến"
        assert articles.list_slice(kind="normal") == ([], 0)
        detail = articles.detail(article_id)
        assert detail["video_id"] == ready.video_id and str(detail["link_view"]).startswith("https://")

    def test_a_normal_article_and_zalos_refusals(self, zalo: ZaloWorld) -> None:
        articles = api(zalo)
        body = [{"type": "text", "content": "Từ ngày 01/12, hồ sơ được nhận cả thứ Bảy."}]
        with pytest.raises(ZaloBadRequest, match="cover value is invalid") as refused:
            articles.create_normal(title="Thông báo", author="Trung tâm", cover_url="", description="", paragraphs=body)
        assert refused.value.code == -201
        with pytest.raises(ZaloBadRequest, match="type accept only"):
            articles.list_slice(kind="gallery")
        # A title of 150 characters is refused by Zalo; the client cuts below it.
        token = articles.create_normal(title="T" * 200, author="Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang",
                                       cover_url=COVER, description="D" * 400, paragraphs=body)
        zalo.clock.advance(timedelta(seconds=10))
        article_id = articles.verify_article(token)
        [media], _ = articles.list_slice(kind="normal")
        assert media["id"] == article_id and len(media["title"]) == 149 and len(media["description"]) == 299
        response = zalo.http.get(zalo.url("/openapi/v2.0/article/getslice"), params={"limit": 11, "type": "normal"},
                                 headers={"access_token": zalo.tokens.current().access_token}, timeout=5)  # type: ignore[union-attr]
        assert response.json() == {"error": -201, "message": "maximum limit is 10"}


class TestTagsAndBroadcast:
    def test_tagged_followers_are_listed_and_a_broadcast_reaches_the_followers(self, zalo: ZaloWorld) -> None:
        articles = api(zalo)
        minh_xuan, tan_trao, not_following = zalo.user(), zalo.user(), zalo.user(follow=False)
        articles.tag_follower(minh_xuan["user_id"], "xa_minh_xuan")
        articles.tag_follower(tan_trao["user_id"], "xa_tan_trao")
        assert articles.tags() == ["xa_minh_xuan", "xa_tan_trao"]
        assert articles.followers_with_tag("xa_minh_xuan") == [minh_xuan["user_id"]]
        assert articles.followers_with_tag("khong_co") == []

        token = articles.create_normal(title="Lịch tiếp công dân", author="Trung tâm", cover_url=COVER,
                                       description="", paragraphs=[{"type": "text", "content": "Thứ Năm hằng tuần."}])
        with pytest.raises(ZaloBadRequest, match="attachment_id is invalid"):  # not processed yet
            articles.broadcast("khong-co")
        zalo.clock.advance(timedelta(seconds=10))
        article_id = articles.verify_article(token) or ""
        message_id = articles.broadcast(article_id)
        assert message_id
        for user in (minh_xuan, tan_trao):
            [received] = zalo.inbox(user_id=user["user_id"])[-1:]
            assert received["type"] == "article" and received["article_id"] == article_id
        assert zalo.inbox(user_id=not_following["user_id"]) == []

    def test_the_v2_message_to_a_user_is_shut_down(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        with pytest.raises(ZaloBadRequest) as refused:
            zalo.client.call_openapi("POST", "/v2.0/oa/message", json_body={
                "recipient": {"user_id": user["user_id"]}, "message": {"text": "xin chào"}})
        assert refused.value.code == -240
