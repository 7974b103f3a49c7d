"""Feedback cases (phản ánh, kiến nghị): a second kind of case, with its own process, codes and due times."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


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


class FeedbackAttachment(SQLModel, table=True):
    """A photo or a location a citizen sent in the Zalo chat for a case (`workflows/feedback/attachments.py`).
    A photo's bytes are in the file store (encrypted at rest) under `storage_key`; a location is kept only
    encrypted (`location_enc`: "latitude,longitude"). `status` is `stored`, or `failed` with `error` when the
    photo could not be fetched from Zalo (the official sees that one was sent)."""

    __tablename__ = "feedback_attachment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="feedback_case.id", index=True)
    kind: str = Field(max_length=16)  # image | location
    status: str = Field(max_length=16)  # stored | failed
    storage_key: str | None = Field(default=None, max_length=64)
    filename: str | None = Field(default=None, max_length=255)
    content_type: str | None = Field(default=None, max_length=100)
    size: int | None = Field(default=None)
    location_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    source_msg_id: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=255)
    created_at: datetime = _ts(nullable=False)
