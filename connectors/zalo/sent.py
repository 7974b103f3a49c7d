"""The message ids Zalo gave back for what our client sent (every part of every outbox message).

Zalo echoes every message the OA sends as an `oa_send_*` webhook event carrying the message's `msg_id`
(ZALO_API.md §8.5–8.6): our own API sends and what an official types in Zalo's OA manager alike. The echo
of one of our sends carries the `message_id` our send call got back, so an echo whose id is not recorded here
was typed by a person (the same test Chatwoot's Zalo integration makes with its set of sent ids, §12.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from connectors.timeutil import utc


class ZaloSentMessage(SQLModel, table=True):
    """One message id Zalo answered a send of ours with (a text chunk, a file, an image, a template)."""

    __tablename__ = "zalo_sent_message"
    __table_args__ = (sa.Index("ux_zalo_sent_message_msg_id", "msg_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    msg_id: str = Field(max_length=100)
    user_id: str = Field(max_length=64, index=True)
    outbox_message_id: int | None = Field(default=None)
    sent_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


def record_sent(session: Session, *, msg_id: str, user_id: str, outbox_message_id: int | None,
                sent_at: datetime) -> None:
    """Remember that `msg_id` is ours (once; a second record of the same id is a no-op). Flushes only."""
    if session.exec(select(ZaloSentMessage.id).where(ZaloSentMessage.msg_id == msg_id)).first() is not None:
        return
    with session.begin_nested():
        session.add(ZaloSentMessage(msg_id=msg_id[:100], user_id=user_id, outbox_message_id=outbox_message_id,
                                    sent_at=utc(sent_at)))


def ours(session: Session, msg_ids: Iterable[str]) -> set[str]:
    """Which of `msg_ids` our client sent."""
    wanted = [m for m in set(msg_ids) if m]
    if not wanted:
        return set()
    rows = session.exec(select(ZaloSentMessage.msg_id).where(col(ZaloSentMessage.msg_id).in_(wanted))).all()
    return set(rows)
