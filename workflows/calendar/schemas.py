"""Shapes of an administrator's edits of the working-day calendar."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["HOLIDAY", "SUBSTITUTE_OFF", "MAKEUP_WORKDAY", "NOT_A_HOLIDAY"]
    legal_ref: str = Field(min_length=3, max_length=255, examples=["Thông báo 9441/TB-BNV"])
    note: str = Field(default="", max_length=500)


class CalendarDayOut(BaseModel):
    day: date
    kind: str
    legal_ref: str | None
    note: str | None
    source: str
