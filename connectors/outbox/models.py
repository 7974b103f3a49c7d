"""The transactional outbox: one row per message to a citizen, written in the business transaction."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

PENDING, SENDING, SENT, UNREACHABLE, DEAD = "pending", "sending", "sent", "unreachable", "dead"
ACTIVE = (PENDING, SENDING)


class OutboxMessage(SQLModel, table=True):
    """`recipient_ref` is an opaque reference resolved at send time (e.g. a citizen id): no phone or ID-card
    number is stored here. `next_attempt_at` is NULL once the row is final (sent/unreachable/dead), so the
    due index holds only live rows. `sequence` orders the messages of one `subject_ref` (e.g. a dossier).
    `parts_done` counts the parts (text chunks, files) already delivered, so a retry does not repeat them.
    `tracking_id` is our correlation id sent with a provider's template message (`tracking_id_for` of the
    idempotency key); the provider's delivery events name it (or `provider_message_id`), and set
    `delivered_at` (reached the recipient's device) and `seen_at` (read), when the provider tells.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ux_outbox_message_idempotency_key", "idempotency_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200)
    channel: str = Field(default="zalo", max_length=16)
    kind: str = Field(max_length=32)
    subject_ref: str = Field(max_length=100, index=True)
    recipient_ref: str = Field(max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    status: str = Field(default=PENDING, max_length=16, index=True)  # administrators list by state
    attempts: int = Field(default=0)
    parts_done: int = Field(default=0)
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True, index=True))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    channel_used: str | None = Field(default=None, max_length=16)
    provider_message_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    last_attempt_at: datetime | None = Field(  # when the relay last recorded an outcome
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    sequence: int = Field(default=1)
    tracking_id: str | None = Field(default=None, max_length=48, index=True)
    delivered_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    seen_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))


def tracking_id_for(idempotency_key: str) -> str:
    """The provider correlation id of a message: at most 48 characters without special characters (Zalo,
    ZALO_API.md §9.1); the end of the key is kept, which tells a case's messages apart."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", idempotency_key)[-48:]
