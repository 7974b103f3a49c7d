"""Time helpers of the connectors (they take `now` callables and import nothing of ours)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    """An aware UTC instant; naive values (SQLite reads them back so) are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_epoch_ms(value: datetime) -> str:
    """Zalo's timestamps: epoch milliseconds as a string."""
    return str(int(utc(value).timestamp() * 1000))


def from_epoch_ms(value: str | int) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
