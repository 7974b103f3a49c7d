"""The `calendar_day` table: per-day overrides of the working calendar (announced schedules)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class CalendarDay(SQLModel, table=True):
    __tablename__ = "calendar_day"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(sa_column=sa.Column(sa.Date(), nullable=False, unique=True))
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    legal_ref: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    note: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    # "file" rows come from data/overrides.toml and follow it; anything else names the admin who
    # edited the row, and the file never overwrites it again.
    source: str = Field(default="file", sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
