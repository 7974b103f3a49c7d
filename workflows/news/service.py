"""News and guides (with optional guide videos) managed by administrators, read by citizens on the lookup
page and in Zalo. Functions flush, never commit."""

from __future__ import annotations

from sqlmodel import Session, col, select

from workflows import audit
from workflows.core.clock import Clock, ensure_utc
from workflows.core.errors import NotFound
from workflows.news.models import NewsItem
from workflows.news.schemas import NewsIn, NewsOut


def to_out(item: NewsItem) -> NewsOut:
    return NewsOut(
        id=item.id or 0,
        kind=item.kind,
        title=item.title,
        summary=item.summary,
        body=item.body,
        video_url=item.video_url,
        published=item.published,
        published_at=ensure_utc(item.published_at) if item.published_at else None,
    )


def published(session: Session, *, kind: str | None = None, limit: int = 20) -> list[NewsItem]:
    """Published items, newest first."""
    query = select(NewsItem).where(col(NewsItem.published).is_(True))
    if kind:
        query = query.where(NewsItem.kind == kind)
    return list(
        session.exec(
            query.order_by(col(NewsItem.published_at).desc(), col(NewsItem.id).desc()).limit(limit)
        ).all()
    )


def all_items(session: Session, *, limit: int = 200) -> list[NewsItem]:
    """Every item, published or not, newest first (administrators)."""
    return list(session.exec(select(NewsItem).order_by(col(NewsItem.id).desc()).limit(limit)).all())


def get(session: Session, *, news_id: int) -> NewsItem:
    item = session.get(NewsItem, news_id)
    if item is None:
        raise NotFound("Không tìm thấy tin.", code="news_not_found")
    return item


def create(session: Session, *, body: NewsIn, actor: str, clock: Clock) -> NewsItem:
    now = clock.now()
    item = NewsItem(
        **body.model_dump(),
        created_by=actor,
        created_at=now,
        updated_at=now,
        published_at=now if body.published else None,
    )
    session.add(item)
    session.flush()
    audit.record(session, actor=actor, action="news.create", at=now, data={"news": item.id})
    return item


def update(session: Session, *, news_id: int, body: NewsIn, actor: str, clock: Clock) -> NewsItem:
    """Replace the content; publishing stamps `published_at` once, unpublishing clears it."""
    item = get(session, news_id=news_id)
    now = clock.now()
    for name, value in body.model_dump().items():
        setattr(item, name, value)
    if body.published and item.published_at is None:
        item.published_at = now
    if not body.published:
        item.published_at = None
    item.updated_at = now
    session.add(item)
    audit.record(session, actor=actor, action="news.update", at=now, data={"news": item.id})
    session.flush()
    return item


def delete(session: Session, *, news_id: int, actor: str, clock: Clock) -> None:
    item = get(session, news_id=news_id)
    session.delete(item)
    audit.record(session, actor=actor, action="news.delete", at=clock.now(), data={"news": news_id})
    session.flush()
