"""The `zalo_articles` job against the emulator over HTTP, on both databases: Zalo's processing delay (-214) is
waited for without loss, transient failures are retried with the reason shown, Zalo's refusals fail the item
with Zalo's reason until it is published again, -223 waits hours, a worker that dies mid-step leaves the row
due again after its lease, and a broadcast to all followers goes through Zalo's broadcast."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from zalo_world import ZaloWorld

from connectors.timeutil import utc
from connectors.zalo.articles import ArticleApi
from workflows.core.db import session_scope
from workflows.documents.storage import FileStore
from workflows.news import service as news
from workflows.news.schemas import NewsIn
from workflows.zalo import articles
from workflows.zalo.article_jobs import LEASE, QUOTA_WAIT, ArticleJob
from workflows.zalo.article_models import ZaloArticle

COVER = "https://motcua.example.gov.vn/static/bia.jpg"
NOTICE = NewsIn(kind="news", title="Trung tâm nhận hồ sơ vào sáng thứ Bảy",
                summary="Từ ngày 05/12/2026, Trung tâm làm việc cả sáng thứ Bảy.",
                body="Giờ nhận hồ sơ: 7 giờ 30 đến 11 giờ 30.\n\nKhông nhận hồ sơ vào chiều thứ Bảy.",
                video_url="https://www.youtube.com/watch?v=mY4l5C5DDEE", published=True)


@pytest.fixture
def job(zalo: ZaloWorld, tmp_path: Path) -> ArticleJob:
    return ArticleJob(db=zalo.db, api=ArticleApi(zalo.client), store=FileStore(tmp_path / "files"), now=zalo.clock.now)


def publish(zalo: ZaloWorld, job: ArticleJob, news_id: int | None = None) -> int:
    with session_scope(zalo.db) as session:
        if news_id is None:
            news_id = news.create(session, body=NOTICE, actor="quan_tri", clock=zalo.clock).id or 0
        articles.request_publish(session, news_id=news_id, cover_url=COVER, author="Trung tâm PVHCC", video=None,
                                 store=job.store, max_video_bytes=1024, actor="quan_tri", now=zalo.clock.now())
    return news_id


def row(zalo: ZaloWorld, news_id: int) -> ZaloArticle:
    with Session(zalo.db) as session:
        found = session.exec(select(ZaloArticle).where(ZaloArticle.news_id == news_id)).one()
        session.expunge(found)
        return found


class TestPublication:
    def test_a_normal_article_waits_for_zalos_processing(self, zalo: ZaloWorld, job: ArticleJob) -> None:
        news_id = publish(zalo, job)
        assert job.run() == 2  # created, then -214 at the first verify
        created = row(zalo, news_id)
        assert (created.state, created.step, created.last_error, created.attempts) == (
            "processing", "verify_article", None, 1)
        assert utc(created.next_attempt_at) == zalo.clock.now() + timedelta(seconds=10)  # type: ignore[arg-type]
        assert job.run() == 0  # nothing due while Zalo processes
        zalo.clock.advance(timedelta(seconds=10))
        assert job.run() == 1
        done = row(zalo, news_id)
        assert (done.state, done.step, done.next_attempt_at) == ("published", "done", None)
        detail = ArticleApi(zalo.client).detail(done.article_id or "")
        assert detail["link_view"] == done.link and detail["author"] == "Trung tâm PVHCC"
        assert detail["body"] == [
            {"type": "text", "content": NOTICE.summary},
            {"type": "text", "content": "Giờ nhận hồ sơ: 7 giờ 30 đến 11 giờ 30."},
            {"type": "text", "content": "Không nhận hồ sơ vào chiều thứ Bảy."},
            {"type": "video", "url": NOTICE.video_url, "thumb": COVER}]
        assert job.run() == 0

    def test_transient_failures_are_retried_and_shown(self, zalo: ZaloWorld, job: ArticleJob) -> None:
        news_id = publish(zalo, job)
        zalo.faults(1.0, ["http_500"])
        assert job.run() == 1
        waiting = row(zalo, news_id)
        assert (waiting.state, waiting.step, waiting.attempts, waiting.last_error) == (
            "waiting", "create", 1, "[http 500] HTTP 500")
        zalo.faults(0.0, [])
        assert job.run() == 0  # back-off: 30 s
        zalo.clock.advance(timedelta(seconds=30))
        zalo.clock.advance(timedelta(seconds=10))
        job.run()
        zalo.clock.advance(timedelta(seconds=10))
        job.run()
        assert row(zalo, news_id).state == "published"

    def test_a_refusal_fails_with_zalos_reason_until_published_again(self, zalo: ZaloWorld, job: ArticleJob) -> None:
        news_id = publish(zalo, job)
        zalo.faults(1.0, ["error:-201"])
        assert job.run() == 1
        failed = row(zalo, news_id)
        assert (failed.state, failed.last_error, failed.next_attempt_at) == (
            "failed", "[zalo -201] Injected error", None)
        with session_scope(zalo.db) as session:
            shown = articles.state_of(session, news_id=news_id)
        assert (shown.state_name, shown.last_error) == ("Lỗi", "[zalo -201] Injected error")
        zalo.faults(0.0, [])
        assert job.run() == 0  # a failed item waits for an official
        publish(zalo, job, news_id)
        zalo.clock.advance(timedelta(seconds=1))
        job.run()
        zalo.clock.advance(timedelta(seconds=10))
        job.run()
        assert row(zalo, news_id).state == "published"

    def test_article_quota_waits_hours(self, zalo: ZaloWorld, job: ArticleJob) -> None:
        news_id = publish(zalo, job)
        zalo.faults(1.0, ["error:-223"])
        job.run()
        held = row(zalo, news_id)
        assert (held.state, held.last_error) == ("waiting", "[zalo -223] Injected error")
        assert utc(held.next_attempt_at) == zalo.clock.now() + QUOTA_WAIT  # type: ignore[arg-type]

    def test_a_worker_that_dies_mid_step_leaves_the_row_due_after_its_lease(
        self, zalo: ZaloWorld, job: ArticleJob
    ) -> None:
        news_id = publish(zalo, job)
        assert job._claim(ZaloArticle) is not None  # claimed, then the worker dies before calling Zalo
        assert job.run() == 0
        zalo.clock.advance(LEASE)
        assert job.run() == 2 and row(zalo, news_id).step == "verify_article"


class TestBroadcast:
    def test_to_all_followers_through_zalos_broadcast(self, zalo: ZaloWorld, job: ArticleJob) -> None:
        follower, stranger = zalo.user(), zalo.user(follow=False)
        news_id = publish(zalo, job)
        job.run()
        zalo.clock.advance(timedelta(seconds=10))
        job.run()
        with session_scope(zalo.db) as session:
            articles.request_broadcast(session, news_id=news_id, tag=None, actor="quan_tri", now=zalo.clock.now())
        assert job.run() == 1
        with session_scope(zalo.db) as session:
            [sent] = articles.state_of(session, news_id=news_id).broadcasts
        recorded = zalo.http.get(zalo.url("/broadcasts"), timeout=5).json()
        assert [(b["message_id"], b["target"], b["user_ids"]) for b in recorded] == [
            (sent.message_id, {}, [follower["user_id"]])]
        assert (sent.state, sent.state_name, sent.tag) == ("sent", "Đã gửi", None)
        assert zalo.inbox(user_id=follower["user_id"])[-1]["article_id"] == row(zalo, news_id).article_id
        assert zalo.inbox(user_id=stranger["user_id"]) == []

    def test_deleting_the_news_item_ends_its_publication(self, zalo: ZaloWorld, job: ArticleJob) -> None:
        news_id = publish(zalo, job)
        assert job.run() == 2
        with session_scope(zalo.db) as session:
            news.delete(session, news_id=news_id, actor="quan_tri", clock=zalo.clock)
        with Session(zalo.db) as session:
            assert session.exec(select(ZaloArticle)).all() == []
        zalo.clock.advance(timedelta(seconds=10))
        assert job.run() == 0
