"""The answer to `TIN TỨC` in the OA chat: the latest news items published on Zalo as OA articles, each with
its article's link (workflows/zalo/articles.py keeps them), newest first."""

from __future__ import annotations

from sqlmodel import Session

from workflows.zalo import articles

MAX_LISTED = 5
HEADING = "Tin tức mới nhất trên Zalo:"


def latest_text(session: Session, *, limit: int = MAX_LISTED) -> str | None:
    """The reply (≤ 2,000 characters), or None when nothing is published on Zalo yet (the bot then lists the
    news of the lookup page)."""
    items = articles.latest_published(session, limit=limit)
    if not items:
        return None
    lines = [f"• {'[Video] ' if video else ''}{title}" + (f"\n  {link}" if link else "")
             for title, link, video in items]
    return (HEADING + "\n" + "\n".join(lines))[:2000]
