"""Building a WorkingCalendar: the `holidays` package as a seed, then the announced overrides.

`holidays.Vietnam` knows the Labour-Code holidays but cannot express make-up Saturdays, missed the
2/1/2026 swap and adds 24/11 from 2026 before the law does (DOMAIN §3.3), so the civil-servant
calendar is the seed corrected by per-day overrides kept as data."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

import holidays

from workflows.calendar.working import OfficeHours, WorkingCalendar

DATA_DIR = Path(__file__).resolve().parent / "data"


class DayKind(StrEnum):
    HOLIDAY = "HOLIDAY"
    SUBSTITUTE_OFF = "SUBSTITUTE_OFF"
    MAKEUP_WORKDAY = "MAKEUP_WORKDAY"
    NOT_A_HOLIDAY = "NOT_A_HOLIDAY"

    @property
    def is_day_off(self) -> bool:
        return self in (DayKind.HOLIDAY, DayKind.SUBSTITUTE_OFF)


@dataclass(frozen=True)
class CalendarOverride:
    day: date
    kind: DayKind
    legal_ref: str
    note: str = ""


def default_overrides_path() -> Path:
    return DATA_DIR / "overrides.toml"


def read_overrides(path: Path | None = None) -> list[CalendarOverride]:
    """Parse the override file (`[[day]]` tables); a malformed entry raises ValueError naming it."""
    source = path or default_overrides_path()
    with source.open("rb") as handle:
        raw = tomllib.load(handle)
    result: list[CalendarOverride] = []
    seen: set[date] = set()
    for index, entry in enumerate(raw.get("day", [])):
        day = entry.get("date")
        if not isinstance(day, date):
            raise ValueError(f"{source.name}: entry {index} needs a TOML date (YYYY-MM-DD)")
        if day in seen:
            raise ValueError(f"{source.name}: {day} appears twice")
        seen.add(day)
        try:
            kind = DayKind(entry.get("kind"))
        except ValueError as exc:
            raise ValueError(f"{source.name}: {day} has an unknown kind {entry.get('kind')!r}") from exc
        legal_ref = str(entry.get("legal_ref", "")).strip()
        if not legal_ref:
            raise ValueError(f"{source.name}: {day} needs a legal_ref")
        note = str(entry.get("note", ""))
        result.append(CalendarOverride(day=day, kind=kind, legal_ref=legal_ref, note=note))
    return result


def load_library() -> None:
    """Import the `holidays` tables now rather than at the first calendar built: their first use imports
    every country (~280 modules, ~8 MB). The parent of forked server processes calls this so that they share
    them (api.main.preload)."""
    holidays.Vietnam(years=[])


def build_calendar(
    *, years: Iterable[int], overrides: Iterable[CalendarOverride], office_hours: OfficeHours
) -> WorkingCalendar:
    """The library's days off for `years`, corrected by `overrides` (which win)."""
    days_off = set(holidays.Vietnam(years=list(years)).keys())
    workdays: set[date] = set()
    for override in overrides:
        if override.kind.is_day_off:
            days_off.add(override.day)
            workdays.discard(override.day)
        elif override.kind is DayKind.MAKEUP_WORKDAY:
            workdays.add(override.day)
            days_off.discard(override.day)
        else:
            days_off.discard(override.day)
    return WorkingCalendar(days_off=days_off, workdays=workdays, office_hours=office_hours)
