"""The one clock: aware UTC instants everywhere; Vietnam local time only at the edges and in the calendar."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests, the benchmark and demos."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        with self._lock:
            self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


def to_local(instant: datetime) -> datetime:
    """An aware instant shown in Vietnam time (+07:00)."""
    return instant.astimezone(VN_TZ)


def local_today(clock: Clock) -> date:
    return to_local(clock.now()).date()


def ensure_utc(value: datetime) -> datetime:
    """Normalise a datetime read back from the database: SQLite returns naive values, which we store as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _local_iso(value: datetime) -> str:
    return to_local(ensure_utc(value)).isoformat()


# A datetime shown to clients in Vietnam time (+07:00), as the API contract says; stored in UTC.
VnDateTime = Annotated[datetime, PlainSerializer(_local_iso, return_type=str, when_used="json")]
