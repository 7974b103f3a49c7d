"""What we know of OA users: follow state and last interaction (for the send window), from webhooks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from connectors.timeutil import utc


class ZaloUser(SQLModel, table=True):
    """One OA-scoped Zalo user. `phone_hash` is the caller's keyed hash (HMAC) of a phone the user has
    proven to hold (the caller decides what proves it; a phone merely shared is not enough): no plaintext
    phone is stored here."""

    __tablename__ = "zalo_user"

    user_id: str = Field(primary_key=True, max_length=64)
    followed: bool = Field(default=False)
    last_interaction_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    display_name: str | None = Field(default=None, max_length=200)
    phone_hash: str | None = Field(default=None, max_length=128, index=True)
    # When the user last unfollowed (None: following, or never unfollowed): no customer-service message
    # goes to them until they follow again (template messages may, ZALO_API.md §4.8).
    unfollowed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    # The citizen's own choice, typed in the chat (workflows/zalo/consent.py): stopped (DỪNG) until resumed.
    notifications_stopped_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    notifications_resumed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    updated_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


def get_user(session: Session, *, user_id: str) -> ZaloUser | None:
    return session.get(ZaloUser, user_id)


def record_user(
    session: Session, *, user_id: str, now: datetime, interacted_at: datetime | None = None,
    followed: bool | None = None, display_name: str | None = None, phone_hash: str | None = None,
) -> ZaloUser:
    """Create or update the user; `interacted_at` only ever moves the last interaction forward;
    `followed=False` records the unfollow (`unfollowed_at`), `followed=True` clears it.

    Fields left None are not changed. Flushes, does not commit.
    """
    user = session.get(ZaloUser, user_id)
    if user is None:
        user = ZaloUser(user_id=user_id, followed=bool(followed), updated_at=utc(now))
        session.add(user)
    if followed is not None:
        user.followed = followed
        user.unfollowed_at = None if followed else utc(now)  # a later follow clears the unfollow
    if interacted_at is not None:
        last = utc(user.last_interaction_at) if user.last_interaction_at else None
        if last is None or utc(interacted_at) > last:
            user.last_interaction_at = utc(interacted_at)
    if display_name is not None:
        user.display_name = display_name[:200]
    if phone_hash is not None:
        user.phone_hash = phone_hash
    user.updated_at = utc(now)
    session.flush()
    return user


def last_interaction(user: ZaloUser | None) -> datetime | None:
    return utc(user.last_interaction_at) if user is not None and user.last_interaction_at else None
