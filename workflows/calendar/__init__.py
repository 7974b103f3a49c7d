"""Working-day calendar: pure arithmetic (`WorkingCalendar`), the override data and its table."""

from workflows.calendar.overrides import (
    CalendarOverride,
    DayKind,
    build_calendar,
    default_overrides_path,
    read_overrides,
)
from workflows.calendar.service import (
    delete_calendar_day,
    list_calendar_days,
    load_calendar,
    set_calendar_day,
    sync_calendar_overrides,
)
from workflows.calendar.working import HOURS_PER_WORKING_DAY, OfficeHours, WorkingCalendar, calendar_version

__all__ = [
    "HOURS_PER_WORKING_DAY",
    "CalendarOverride",
    "DayKind",
    "OfficeHours",
    "WorkingCalendar",
    "build_calendar",
    "calendar_version",
    "default_overrides_path",
    "delete_calendar_day",
    "list_calendar_days",
    "load_calendar",
    "read_overrides",
    "set_calendar_day",
    "sync_calendar_overrides",
]
