"""Tables of the shared core: the rate-limit counters of every limited request."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class RateLimitHit(SQLModel, table=True):
    """Hits of one client key in one fixed window; two adjacent windows give the sliding estimate.
    The key is a keyed hash of the client (never a raw IP address) plus the kind of request."""

    __tablename__ = "rate_limit_hit"

    key: str = Field(primary_key=True, max_length=120)
    window_start: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), primary_key=True))
    count: int = Field(default=0)
