"""Calendars for the calendar/deadline tests: the official 2025–2027 schedule from the data file."""

from __future__ import annotations

from datetime import time

import pytest

from workflows.calendar import OfficeHours, WorkingCalendar, build_calendar, read_overrides

YEARS = range(2025, 2028)
# An 8-hour office day, where a working hour is a clock hour (easy to reason about in tests).
EIGHT_HOURS = OfficeHours(
    morning_start=time(7, 30),
    morning_end=time(11, 30),
    afternoon_start=time(13, 0),
    afternoon_end=time(17, 0),
)


@pytest.fixture(scope="session")
def official() -> WorkingCalendar:
    """The announced CBCCVC calendar, default office hours (07:30–11:30, 13:30–17:00)."""
    return build_calendar(years=YEARS, overrides=read_overrides(), office_hours=OfficeHours())


@pytest.fixture(scope="session")
def official_8h() -> WorkingCalendar:
    return build_calendar(years=YEARS, overrides=read_overrides(), office_hours=EIGHT_HOURS)


@pytest.fixture(scope="session")
def library_only() -> WorkingCalendar:
    """What `holidays` alone gives: no make-up Saturdays, no 2/1/2026 swap, 24/11 off."""
    return build_calendar(years=YEARS, overrides=[], office_hours=OfficeHours())
