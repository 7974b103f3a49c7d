"""The `zalo_articles` scheduler job: advances every due publication and broadcast by one Zalo call at a time.

Zalo creates articles asynchronously: `create` gives a token, `verify` gives the article id once processed
(-214 "Article is being processed" until then), and an uploaded video must be converted before a video
article can use it (connectors/zalo/articles.py cites the sources). Each row is claimed with a lease (its
`next_attempt_at` moved forward in a short transaction of its own), the call is made with no transaction
open, and its outcome is recorded before the next call, so a worker that dies mid-way leaves the row due
again after the lease and nothing is lost:

- still processing (video converting, -214): polled again after `poll_delay`, growing to 5 minutes;
- transient failures (timeouts, 5xx, -32, a refused or missing token): retried with exponential back-off up
  to an hour, the reason shown on the row, for as long as it takes (an administrator may grant again);
- -223 (article quota reached or the API not granted to the app, ZALO_API.md §10.1): waits 6 hours;
- anything else Zalo refuses (-201 bad field, a video it could not convert): `failed` with Zalo's reason;
  the official fixes the cause and publishes again, which resumes from the failed step.

A create whose answer was lost (timeout) may have created the article: it is created again (Zalo has no
idempotency key), which can leave a duplicate on the OA for an administrator to remove.

A broadcast to all followers is Zalo's broadcast (`/v2.0/oa/message`, target). Zalo's broadcast target has
no tag (zalo-java-sdk SendBroadcastMessage shows ages, gender, locations, cities, platform), so a broadcast to
a tag lists the tag's followers (`user/getlist` with `tag_name`, ZALO_API.md §6.2) and queues one
customer-service text per follower in the outbox, which delivers it, retries it and shows it among the
failed messages when Zalo cannot reach the follower (outside the 7-day window, §4.8).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, col, select

from connectors.outbox import service as outbox
from connectors.timeutil import utc
from connectors.zalo.articles import ARTICLE_QUOTA, ArticleApi
from connectors.zalo.errors import ZaloBadRequest, ZaloError
from connectors.zalo.payload import MessagePayload
from workflows.core.db import session_scope
from workflows.documents.storage import FileStore, StorageError
from workflows.news.models import NewsItem
from workflows.zalo.article_models import (
    ACTIVE,
    CREATE,
    DONE,
    FAILED,
    PROCESSING,
    PUBLISHED,
    SENT,
    UPLOAD_VIDEO,
    VERIFY_ARTICLE,
    VERIFY_VIDEO,
    ZaloArticle,
    ZaloBroadcast,
)

log = logging.getLogger(__name__)

JOB = "zalo_articles"
LEASE = timedelta(minutes=5)  # longer than one Zalo call (the client's timeout)
QUOTA_WAIT = timedelta(hours=6)
TEXT_LIMIT = 2000


def poll_delay(attempts: int) -> timedelta:
    """How long to wait before asking Zalo again whether it has processed the video or article."""
    return timedelta(seconds=min(10 * 2 ** min(attempts, 5), 300))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** min(attempts, 7), 3600))


@dataclass
class Outcome:
    """What one step changed; applied to the row in one transaction."""

    values: dict[str, Any]
    wait: timedelta | None = timedelta(0)  # None: final, no next attempt
    counts_attempt: bool = False


@dataclass(frozen=True)
class ArticleJob:
    """Built once (the wiring); `run()` is the scheduler job and returns how many steps it made."""

    db: DbEngine
    api: ArticleApi
    store: FileStore
    now: Callable[[], datetime]
    notify: Callable[[], None] | None = None
    batch: int = 50

    def run(self) -> int:
        done = 0
        for _ in range(self.batch):
            article_id = self._claim(ZaloArticle)
            if article_id is not None:
                self._advance_article(article_id)
                done += 1
                continue
            broadcast_id = self._claim(ZaloBroadcast)
            if broadcast_id is None:
                break
            self._send_broadcast(broadcast_id)
            done += 1
        return done

    # --- claiming ------------------------------------------------------------------------------------------

    def _claim(self, model: type[ZaloArticle] | type[ZaloBroadcast]) -> int | None:
        """The id of one due row of `model`, leased to this worker (None when nothing is due)."""
        now = utc(self.now())
        with session_scope(self.db) as session:
            rows = session.exec(select(model.id, model.next_attempt_at).where(
                col(model.state).in_(ACTIVE), col(model.next_attempt_at) <= now)
                .order_by(col(model.next_attempt_at)).limit(5)).all()
            for row_id, due in rows:
                claimed = session.execute(update(model).where(col(model.id) == row_id,
                                                              col(model.next_attempt_at) == due)
                                          .values(next_attempt_at=now + LEASE))
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return int(row_id)
        return None

    def _apply(self, model: type[ZaloArticle] | type[ZaloBroadcast], row_id: int, outcome: Outcome) -> None:
        now = utc(self.now())
        with session_scope(self.db) as session:
            row = session.get(model, row_id)
            if row is None:  # the news item was deleted meanwhile
                return
            for name, value in outcome.values.items():
                setattr(row, name, value)
            if outcome.counts_attempt:
                row.attempts += 1
            row.next_attempt_at = None if outcome.wait is None else now + outcome.wait
            if isinstance(row, ZaloArticle):
                row.updated_at = now
            session.add(row)

    # --- publication ---------------------------------------------------------------------------------------

    def _advance_article(self, row_id: int) -> None:
        with Session(self.db) as session:
            row = session.get(ZaloArticle, row_id)
            item = session.get(NewsItem, row.news_id) if row else None
            if row is None or item is None:
                return
            session.expunge_all()
        try:
            outcome = self._step(row, item)
        except ZaloError as exc:
            outcome = _failure(exc, row.attempts)
        except StorageError as exc:
            outcome = Outcome({"state": FAILED, "last_error": f"Không đọc được tệp video đã lưu: {exc.detail}"},
                              wait=None)
        log.info("zalo article news=%s step=%s → %s", row.news_id, row.step, outcome.values.get("state", row.state))
        self._apply(ZaloArticle, row_id, outcome)

    def _step(self, row: ZaloArticle, item: NewsItem) -> Outcome:
        if row.step == UPLOAD_VIDEO:
            token = self.api.prepare_video(row.video_filename or "video.mp4", self.store.open(row.video_key or ""))
            return Outcome({"video_token": token, "step": VERIFY_VIDEO, "state": PROCESSING, "last_error": None,
                            "attempts": 0})
        if row.step == VERIFY_VIDEO:
            status = self.api.video_status(row.video_token or "")
            if status.ready:
                return Outcome({"video_id": status.video_id, "step": CREATE, "attempts": 0, "last_error": None})
            if status.converting:
                return Outcome({"last_error": None}, wait=poll_delay(row.attempts), counts_attempt=True)
            return Outcome({"state": FAILED, "step": UPLOAD_VIDEO, "video_token": None,
                            "last_error": f"Zalo không xử lý được video (trạng thái {status.status}): "
                                          f"{status.message or 'không rõ lý do'}"}, wait=None)
        if row.step == CREATE:
            description = item.summary or item.title
            if row.kind == "video":
                token = self.api.create_video(title=item.title, description=description,
                                              video_id=row.video_id or "", avatar_url=row.cover_url)
            else:
                token = self.api.create_normal(title=item.title, author=row.author, cover_url=row.cover_url,
                                               description=description, paragraphs=paragraphs(item, row.cover_url))
            return Outcome({"article_token": token, "step": VERIFY_ARTICLE, "state": PROCESSING, "attempts": 0,
                            "last_error": None})
        if row.step == VERIFY_ARTICLE:
            article_id = self.api.verify_article(row.article_token or "")
            if article_id is None:  # -214: still being processed
                return Outcome({"last_error": None}, wait=poll_delay(row.attempts), counts_attempt=True)
            link = self.api.detail(article_id).get("link_view")
            return Outcome({"article_id": article_id, "link": str(link)[:500] if link else None, "step": DONE,
                            "state": PUBLISHED, "published_at": utc(self.now()), "last_error": None,
                            "video_key": None}, wait=None)
        return Outcome({"state": PUBLISHED}, wait=None)

    # --- broadcast -----------------------------------------------------------------------------------------

    def _send_broadcast(self, row_id: int) -> None:
        with Session(self.db) as session:
            broadcast = session.get(ZaloBroadcast, row_id)
            article = session.get(ZaloArticle, broadcast.article_row_id) if broadcast else None
            item = session.get(NewsItem, article.news_id) if article else None
            if broadcast is None or article is None or item is None or not article.article_id:
                return
            session.expunge_all()
        now = utc(self.now())
        try:
            if broadcast.tag is None:
                message_id = self.api.broadcast(article.article_id or "")
                outcome = Outcome({"state": SENT, "message_id": message_id[:100], "sent_at": now, "last_error": None},
                                  wait=None)
            else:
                followers = self.api.followers_with_tag(broadcast.tag)
                self._queue(broadcast, item, article, followers)
                outcome = Outcome({"state": SENT, "recipients": len(followers), "sent_at": now, "last_error": None},
                                  wait=None)
        except ZaloError as exc:
            outcome = _failure(exc, broadcast.attempts)
        self._apply(ZaloBroadcast, row_id, outcome)

    def _queue(self, broadcast: ZaloBroadcast, item: NewsItem, article: ZaloArticle, followers: list[str]) -> None:
        """One outbox message per follower of the tag, keyed by broadcast and follower (a retried pass adds
        none twice), written in one transaction; the relay is woken after the commit."""
        text = broadcast_text(item, article)
        now = utc(self.now())
        with session_scope(self.db) as session:
            for user_id in followers:
                outbox.enqueue(session, idempotency_key=f"zalo-broadcast:{broadcast.id}:{user_id}", kind="news_article",
                               subject_ref=f"news:{item.id}", recipient_ref=f"zalo:{user_id}",
                               payload=MessagePayload(event="TIN_TUC", text=text).to_dict(), now=now,
                               on_commit=self.notify)


def paragraphs(item: NewsItem, cover_url: str) -> list[dict[str, str]]:
    """The body of a normal article: the summary and the body's paragraphs as text, then the guide's video
    link as a video paragraph (zalo-java-sdk CreateNormalArticle shows `text`, `image`, `video`)."""
    texts = [p.strip() for p in [item.summary, *item.body.split("\n\n")] if p and p.strip()]
    body: list[dict[str, str]] = [{"type": "text", "content": t} for t in texts] or [
        {"type": "text", "content": item.title}]
    if item.video_url:
        body.append({"type": "video", "url": item.video_url, "thumb": cover_url})
    return body


def broadcast_text(item: NewsItem, article: ZaloArticle) -> str:
    """What a tagged follower receives: the title, the summary and the article's link."""
    label = "Video hướng dẫn" if article.kind == "video" or item.kind == "guide" else "Tin tức"
    lines = [f"{label}: {item.title}"]
    if item.summary:
        lines.append(item.summary)
    if article.link:
        lines.append(f"Xem bài viết: {article.link}")
    return "\n".join(lines)[:TEXT_LIMIT]


def _failure(exc: ZaloError, attempts: int) -> Outcome:
    reason = str(exc)[:2000]
    if exc.code == ARTICLE_QUOTA:
        return Outcome({"last_error": reason}, wait=QUOTA_WAIT, counts_attempt=True)
    if isinstance(exc, ZaloBadRequest):
        return Outcome({"state": FAILED, "last_error": reason}, wait=None)
    return Outcome({"last_error": reason}, wait=retry_delay(attempts), counts_attempt=True)  # state unchanged
