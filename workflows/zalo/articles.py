"""News on Zalo ("Kênh tin tức / Video hướng dẫn"): an official asks for a news item to be published as an OA
article (a video article when a video file comes with it) and for a published article to be broadcast to the
followers, or to those carrying a Zalo tag. Both are written here as rows, in the caller's transaction
(flush, never commit); the `zalo_articles` job (article_jobs.py) talks to Zalo. The OA's own article list is
read from Zalo on demand (`oa_articles`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from connectors.timeutil import from_epoch_ms
from connectors.zalo.articles import ArticleApi
from connectors.zalo.errors import ZaloError
from workflows import audit
from workflows.core.clock import ensure_utc
from workflows.core.errors import Conflict, PayloadTooLarge, ValidationFailed
from workflows.documents.storage import FileStore
from workflows.news import service as news
from workflows.zalo.article_models import (
    ACTIVE,
    CREATE,
    PUBLISHED,
    UPLOAD_VIDEO,
    WAITING,
    ZaloArticle,
    ZaloBroadcast,
)
from workflows.zalo.article_schemas import (
    BROADCAST_STATE_NAMES,
    NOT_PUBLISHED,
    STATE_NAMES,
    STEP_NAMES,
    OaArticleList,
    OaArticleOut,
    ZaloArticleOut,
    ZaloBroadcastOut,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VIDEO_NAME = re.compile(r"\.(mp4|avi)$", re.IGNORECASE)  # what preparevideo takes (a public integration)


def request_publish(
    session: Session, *, news_id: int, cover_url: str, author: str, video: tuple[str, bytes] | None,
    store: FileStore, max_video_bytes: int, actor: str, now: datetime,
) -> ZaloArticle:
    """Queue the publication of a published news item as an OA article (`video` = (filename, content) makes
    it a video article; the file is kept in the file store until Zalo has it). A failed publication is
    resumed from the step that failed (a new video starts over from its upload); one in progress or done is
    refused (409)."""
    item = news.get(session, news_id=news_id)
    if not item.published:
        raise Conflict("Tin chưa được công bố; hãy công bố tin trước khi đăng lên Zalo.",
                       code="news_not_published")
    row = session.exec(select(ZaloArticle).where(ZaloArticle.news_id == news_id)).first()
    if row is not None and row.state in ACTIVE:
        raise Conflict("Tin đang được đăng lên Zalo.", code="zalo_article_in_progress")
    if row is not None and row.state == PUBLISHED:
        raise Conflict("Tin đã được đăng lên Zalo.", code="zalo_article_already_published")
    video_key = _store_video(video, store=store, max_bytes=max_video_bytes) if video is not None else None
    if row is None:
        row = ZaloArticle(news_id=news_id, kind="normal", state=WAITING, step=CREATE, cover_url=cover_url,
                          author=author, requested_by=actor, requested_at=now, updated_at=now)
    if video is not None:
        row.kind, row.step = "video", UPLOAD_VIDEO
        row.video_key, row.video_filename = video_key, video[0][-255:]
        row.video_token = row.video_id = row.article_token = None
    row.cover_url, row.author = cover_url, author
    row.state, row.attempts, row.last_error = WAITING, 0, None
    row.next_attempt_at, row.updated_at, row.requested_by = now, now, actor
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="news.zalo_publish", at=now,
                 data={"news": news_id, "kind": row.kind})
    return row


def _store_video(video: tuple[str, bytes], *, store: FileStore, max_bytes: int) -> str:
    filename, content = video
    if not VIDEO_NAME.search(filename or ""):
        raise ValidationFailed(errors=[{"field": "video", "message": "Tệp video: chỉ nhận tệp MP4 hoặc AVI."}])
    if not content:
        raise ValidationFailed(errors=[{"field": "video", "message": "Tệp video: tệp rỗng."}])
    if len(content) > max_bytes:
        size = f"{max_bytes / (1024 * 1024):g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes / 1024:g} KB"
        raise PayloadTooLarge(f"Tệp video vượt quá {size}.", code="video_too_large")
    return store.put(content).key


def request_broadcast(session: Session, *, news_id: int, tag: str | None, actor: str, now: datetime) -> ZaloBroadcast:
    """Queue a broadcast of the news item's published article: to every follower (Zalo's broadcast) or, with
    `tag`, to each follower carrying that tag. The same broadcast still waiting is refused (409)."""
    news.get(session, news_id=news_id)
    row = session.exec(select(ZaloArticle).where(ZaloArticle.news_id == news_id)).first()
    if row is None or row.state != PUBLISHED:
        raise Conflict("Tin chưa được đăng lên Zalo; chỉ gửi được bài đã đăng.", code="zalo_article_not_published")
    pending = session.exec(select(ZaloBroadcast).where(
        ZaloBroadcast.article_row_id == row.id, ZaloBroadcast.state == WAITING,
        ZaloBroadcast.tag == tag if tag else col(ZaloBroadcast.tag).is_(None))).first()
    if pending is not None:
        raise Conflict("Bài này đang chờ gửi tới cùng nhóm người theo dõi.", code="zalo_broadcast_pending")
    broadcast = ZaloBroadcast(article_row_id=row.id or 0, tag=tag, state=WAITING, attempts=0, next_attempt_at=now,
                              requested_by=actor, requested_at=now)
    session.add(broadcast)
    session.flush()
    audit.record(session, actor=actor, action="news.zalo_broadcast", at=now,
                 data={"news": news_id, "tag": tag, "broadcast": broadcast.id})
    return broadcast


def state_of(session: Session, *, news_id: int) -> ZaloArticleOut:
    """Where the news item stands on Zalo, with its broadcasts (newest first)."""
    news.get(session, news_id=news_id)
    row = session.exec(select(ZaloArticle).where(ZaloArticle.news_id == news_id)).first()
    if row is None:
        return ZaloArticleOut(news_id=news_id, state=NOT_PUBLISHED, state_name=STATE_NAMES[NOT_PUBLISHED])
    broadcasts = session.exec(select(ZaloBroadcast).where(ZaloBroadcast.article_row_id == row.id)
                              .order_by(col(ZaloBroadcast.id).desc())).all()
    return ZaloArticleOut(
        news_id=news_id, state=row.state, state_name=STATE_NAMES[row.state], kind=row.kind, step=row.step,
        step_name=STEP_NAMES.get(row.step),
        article_id=row.article_id, link=row.link, attempts=row.attempts, last_error=row.last_error,
        next_attempt_at=_aware(row.next_attempt_at), published_at=_aware(row.published_at),
        broadcasts=[broadcast_out(b) for b in broadcasts])


def broadcast_out(row: ZaloBroadcast) -> ZaloBroadcastOut:
    return ZaloBroadcastOut(id=row.id or 0, tag=row.tag, state=row.state, state_name=BROADCAST_STATE_NAMES[row.state],
                            recipients=row.recipients, message_id=row.message_id, last_error=row.last_error,
                            requested_by=row.requested_by, requested_at=ensure_utc(row.requested_at),
                            sent_at=_aware(row.sent_at))


def oa_articles(session: Session, *, api: ArticleApi, offset: int = 0) -> OaArticleList:
    """The OA's articles as Zalo lists them (`getslice`, up to 10 of each kind from `offset`), newest first,
    each with the news item it was published from when it is ours; Zalo unreachable: `zalo_error`."""
    items: list[OaArticleOut] = []
    totals: dict[str, int] = {}
    try:
        for kind in ("normal", "video"):
            medias, totals[kind] = api.list_slice(kind=kind, offset=offset)
            items += [_oa_item(m, kind) for m in medias if m.get("id")]
    except ZaloError as exc:  # shown, not raised: the page stays usable while the grant or Zalo is fixed
        return OaArticleList(items=[], total={}, zalo_error=f"Không lấy được danh sách bài viết từ Zalo ({exc}).")
    ours = {r.article_id: r.news_id for r in session.exec(select(ZaloArticle).where(
        col(ZaloArticle.article_id).in_([i.article_id for i in items]))).all()} if items else {}
    items = [i.model_copy(update={"news_id": ours.get(i.article_id)}) for i in items]
    items.sort(key=lambda i: i.created_at or _EPOCH, reverse=True)
    return OaArticleList(items=items, total=totals)


def _oa_item(media: dict[str, object], kind: str) -> OaArticleOut:
    created = media.get("create_date")
    return OaArticleOut(article_id=str(media["id"]), kind=kind, title=str(media.get("title") or ""),
                        description=str(media.get("description") or ""),
                        link=str(media["link_view"]) if media.get("link_view") else None,
                        created_at=from_epoch_ms(str(created)) if str(created or "").isdigit() else None,
                        news_id=None)


def latest_published(session: Session, *, limit: int = 5) -> list[tuple[str, str | None, bool]]:
    """(title, link, is_video) of the news items most recently published on Zalo, newest first."""
    rows = session.exec(select(ZaloArticle).where(ZaloArticle.state == PUBLISHED)
                        .order_by(col(ZaloArticle.published_at).desc(), col(ZaloArticle.id).desc()).limit(limit)).all()
    out = []
    for row in rows:
        item = news.get(session, news_id=row.news_id)
        out.append((item.title, row.link, row.kind == "video"))
    return out


def _aware(value: datetime | None) -> datetime | None:
    return ensure_utc(value) if value is not None else None

