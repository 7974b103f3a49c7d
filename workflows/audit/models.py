"""The audit trail: who did what, when, to which dossier; append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class AuditEntry(SQLModel, table=True):
    """Append-only evidence: who read or did what to whose data, when and why."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, index=True)
    actor: str = Field(max_length=120, index=True)
    action: str = Field(max_length=64, index=True)
    dossier_code: str | None = Field(default=None, max_length=64, index=True)
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
