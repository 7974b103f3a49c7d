"""Reminder tables: the officials' in-app notification list and the once-only record of each reminder sent."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

DUE_SOON, OVERDUE, ESCALATION, APOLOGY_DUE = "due_soon", "overdue", "escalation", "apology_due"
# The receiver of a hand-over is told once (workflows/tasks/handover.py).
REASSIGNED, DELEGATED = "reassigned", "delegated"
KINDS = (DUE_SOON, OVERDUE, ESCALATION, APOLOGY_DUE, REASSIGNED, DELEGATED)


class OfficialNotification(SQLModel, table=True):
    """One message in an official's in-app list; `read_at` is set when they open it."""

    __tablename__ = "official_notification"

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=255)
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    dossier_code: str | None = Field(default=None, max_length=64)
    task_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    read_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))


class ReminderSent(SQLModel, table=True):
    """The proof that reminder `kind` about `subject` ("task:<work item id>" or "dossier:<code>") went out.
    The unique constraint is what makes a reminder once-only across workers and restarts."""

    __tablename__ = "reminder_sent"
    __table_args__ = (sa.UniqueConstraint("subject", "kind", name="uq_reminder_sent_subject_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=120)
    kind: str = Field(max_length=32)
    recipients: int = Field(default=0)
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
