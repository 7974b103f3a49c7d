"""Column helpers shared by every table module."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field


def timestamp(nullable: bool = True, index: bool = False) -> Any:
    """An aware timestamp column (stored in UTC: `timestamp with time zone` on PostgreSQL)."""
    return Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index))
