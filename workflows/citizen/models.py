"""Tables of the citizens' self-service: the public lookups' rate-limit counters, feedback cases
(phản ánh, kiến nghị), the proofs of phones shared in Zalo, and the news and guides shown on the lookup
page and in Zalo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = True, index: bool = False) -> Any:
    column = sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)
    return Field(default=None, sa_column=column)


class RateLimitHit(SQLModel, table=True):
    """Hits of one client key in one fixed window; two adjacent windows give the sliding estimate.
    The key is a keyed hash of the client (never a raw IP address) plus the kind of request."""

    __tablename__ = "rate_limit_hit"

    key: str = Field(primary_key=True, max_length=120)
    window_start: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), primary_key=True))
    count: int = Field(default=0)


class FeedbackCase(SQLModel, table=True):
    """One phản ánh, kiến nghị: from the web page or Zalo, handled by the `phan_anh_kien_nghi` process.
    The contact phone is stored encrypted with a keyed hash, like an applicant's."""

    __tablename__ = "feedback_case"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    category: str = Field(max_length=32)
    content: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    dossier_code: str | None = Field(default=None, max_length=64, index=True)
    contact_name: str | None = Field(default=None, max_length=255)
    contact_phone_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    contact_phone_hash: str | None = Field(default=None, max_length=64, index=True)
    zalo_user_id: str | None = Field(default=None, max_length=64, index=True)
    channel: str = Field(max_length=8)
    status: str = Field(max_length=16, index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    instance_id: int | None = Field(default=None)
    assignee: str | None = Field(default=None, max_length=64)
    answer: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    answered_by: str | None = Field(default=None, max_length=255)
    due_at: datetime = _ts(nullable=False, index=True)
    reminded_at: datetime | None = _ts()
    created_at: datetime = _ts(nullable=False)
    answered_at: datetime | None = _ts()


class PhoneProof(SQLModel, table=True):
    """A phone shared by a Zalo account, until the account proves it holds the number by sending back the
    one-time code that Zalo delivered (template by phone) to the account that owns it. The phone is kept
    encrypted (to send the code) with its keyed hash; the code only as a keyed hash."""

    __tablename__ = "zalo_phone_proof"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64, index=True)
    phone_enc: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    phone_hash: str = Field(max_length=64)
    code_hash: str = Field(max_length=64)
    status: str = Field(max_length=16)  # pending | proven | failed | expired | replaced
    attempts: int = Field(default=0)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    proven_at: datetime | None = _ts()


class NewsItem(SQLModel, table=True):
    """A news item or a guide (with an optional video link) managed by administrators."""

    __tablename__ = "news_item"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8, index=True)
    title: str = Field(max_length=255)
    summary: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    body: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    video_url: str | None = Field(default=None, max_length=500)
    published: bool = Field(default=False, index=True)
    published_at: datetime | None = _ts(index=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class SatisfactionRating(SQLModel, table=True):
    """A citizen's rating of a finished dossier (QĐ 766 satisfaction indicator): one per dossier, given
    behind the lookup's second factor. No personal data: the comment is the citizen's own words."""

    __tablename__ = "satisfaction_rating"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", unique=True)  # unique: a second rating is refused
    level: str = Field(max_length=16)  # rat_hai_long | hai_long | khong_hai_long
    criteria: dict[str, str] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    rated_at: datetime = _ts(nullable=False, index=True)
