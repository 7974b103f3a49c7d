"""Deadlines on top of the working calendar: appointment (ngày hẹn trả), step due times, the effect
of a supplement request, and lateness classes. Pure functions; every result is UTC-aware."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from workflows.calendar.working import HOURS_PER_WORKING_DAY, WorkingCalendar
from workflows.core.clock import VN_TZ
from workflows.procedures.spec import SupplementPolicy, TimeUnit


class Lateness(StrEnum):
    """Computed, never stored (DOMAIN §2.1). In progress: TRONG_HAN / SAP_DEN_HAN / QUA_HAN;
    finished: TRUOC_HAN / DUNG_HAN / QUA_HAN (the Phiếu kiểm soát columns)."""

    TRONG_HAN = "trong_han"
    SAP_DEN_HAN = "sap_den_han"
    QUA_HAN = "qua_han"
    TRUOC_HAN = "truoc_han"
    DUNG_HAN = "dung_han"


# "Sắp đến hạn": at most one working day left.
DUE_SOON_HOURS = HOURS_PER_WORKING_DAY


def appointment_at(
    calendar: WorkingCalendar, *, received_at: datetime, value: int | float, unit: str
) -> datetime:
    """The appointment for a period of `value` `unit`s counted from `received_at` (Giấy tiếp nhận)."""
    match TimeUnit(unit):
        case TimeUnit.WORKING_DAYS:
            return calendar.add_working_days(received_at, int(value))
        case TimeUnit.CALENDAR_DAYS:
            return calendar.add_calendar_days(received_at, int(value))
        case TimeUnit.WORKING_HOURS:
            return calendar.add_working_hours(received_at, float(value))


def step_due_at(calendar: WorkingCalendar, *, start: datetime, hours: float) -> datetime:
    """Due time of a step given `hours` working hours from `start`."""
    return calendar.add_working_hours(start, hours)


def step_due_times(
    calendar: WorkingCalendar, *, start: datetime, steps: Iterable[Mapping[str, Any]]
) -> dict[str, datetime]:
    """Planned due time of each step (`{"step", "hours"}` items, in process order) when the steps run
    back to back from `start`: step k is due after the sum of the hours of steps 1..k."""
    result: dict[str, datetime] = {}
    total = 0.0
    for item in steps:
        total += float(item["hours"])
        result[str(item["step"])] = calendar.add_working_hours(start, total)
    return result


def resume_due_at(
    calendar: WorkingCalendar,
    *,
    policy: str,
    due_at: datetime,
    paused_at: datetime,
    resumed_at: datetime,
    value: int | float,
    unit: str,
) -> datetime:
    """The appointment after a supplement requested at `paused_at` and completed at `resumed_at`.

    `pause` moves `due_at` by the working time spent waiting (QĐ 766: supplement time is deducted);
    `restart` counts the whole period again from the completed dossier (sectoral "kể từ ngày nhận
    đủ hồ sơ hợp lệ")."""
    if resumed_at < paused_at:
        raise ValueError("resumed_at is before paused_at")
    if SupplementPolicy(policy) is SupplementPolicy.RESTART:
        return appointment_at(calendar, received_at=resumed_at, value=value, unit=unit)
    waited = calendar.working_hours_between(paused_at, resumed_at)
    return calendar.add_working_hours(due_at, waited) if waited > 0 else due_at


def lateness(
    calendar: WorkingCalendar, *, now: datetime, due_at: datetime, finished_at: datetime | None = None
) -> Lateness:
    """In progress: overdue after `due_at`, due soon with ≤ 1 working day left, else on track.
    Finished (`finished_at`, i.e. "Đã xử lý xong"): before the appointment day, on it, or late."""
    if finished_at is not None:
        if finished_at > due_at:
            return Lateness.QUA_HAN
        if finished_at.astimezone(VN_TZ).date() == due_at.astimezone(VN_TZ).date():
            return Lateness.DUNG_HAN
        return Lateness.TRUOC_HAN
    if now > due_at:
        return Lateness.QUA_HAN
    if calendar.working_hours_between(now, due_at) <= DUE_SOON_HOURS:
        return Lateness.SAP_DEN_HAN
    return Lateness.TRONG_HAN
