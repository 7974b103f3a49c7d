"""Every deadline of the domain, on top of the working calendar: a dossier's appointment (ngày hẹn trả)
and its clock (start on acceptance, pause/resume on a supplement), the due times of work items, the
predicates the reminders use, and lateness. Every result is UTC-aware.

The calendar is always passed in as the first argument; callers take it from the collaborators with
`working_calendar(session, calendars=services.calendars, at=now)`. The rules take plain values or the
small protocols below, never a domain model, so dossiers, feedback and reminders depend on this module
and not the reverse.

Where the appointment comes from, read from the route: the reception official completes the check
(`POST /tasks/{id}/complete` → `tasks.service.complete` → `process.complete` → `engine.complete`); the
BPMN's service task `dossier/status` with `DA_TIEP_NHAN` runs `dossiers.operators.set_status` →
`apply_status`, which calls `start_clock` here → `appointment_at`. A supplement request (`CHO_BO_SUNG`)
calls `pause_clock`, the next status `resume_clock`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlmodel import Session

from engine import WorkItemView, work_item
from workflows.calendar.working import HOURS_PER_WORKING_DAY, WorkingCalendar
from workflows.collaborators import CalendarProvider
from workflows.core.clock import VN_TZ, to_local
from workflows.procedures.spec import SupplementPolicy, TimeUnit


class Lateness(StrEnum):
    """Computed, never stored (DOMAIN §2.1). In progress: TRONG_HAN / SAP_DEN_HAN / QUA_HAN;
    finished: TRUOC_HAN / DUNG_HAN / QUA_HAN (the Phiếu kiểm soát columns)."""

    TRONG_HAN = "trong_han"
    SAP_DEN_HAN = "sap_den_han"
    QUA_HAN = "qua_han"
    TRUOC_HAN = "truoc_han"
    DUNG_HAN = "dung_han"


# "Sắp đến hạn" of a dossier: at most one working day left.
DUE_SOON_HOURS = HOURS_PER_WORKING_DAY
# Searching back for a working day gives up after a year (a calendar without one is broken).
_MAX_SEARCH_DAYS = 366


class TimeLimit(Protocol):
    """A procedure's legal period and supplement policy (`ProcedureVersion` has these columns)."""

    @property
    def time_limit_value(self) -> int: ...
    @property
    def time_limit_unit(self) -> str: ...
    @property
    def supplement_policy(self) -> str: ...


class DossierClock(Protocol):
    """The clock fields of a dossier the rules read and set (`Dossier` has these columns)."""

    accepted_at: datetime | None
    due_at: datetime | None
    original_due_at: datetime | None
    calendar_version: str | None
    paused_at: datetime | None
    supplement_count: int
    counted_late: bool


def working_calendar(session: Session, *, calendars: CalendarProvider, at: datetime) -> WorkingCalendar:
    """The working calendar for deadlines around `at` (it covers `at`'s local year and its neighbours)."""
    return calendars.get(session, year=to_local(at).year)


# ---- the appointment and its clock -------------------------------------------------------------------


def appointment_at(
    calendar: WorkingCalendar, *, received_at: datetime, value: int | float, unit: str
) -> datetime:
    """The appointment for a period of `value` `unit`s counted from `received_at` (Giấy tiếp nhận):
    working days and calendar days end at the close of office hours (Civil Code 2015 Art. 147–148)."""
    match TimeUnit(unit):
        case TimeUnit.WORKING_DAYS:
            return calendar.add_working_days(received_at, int(value))
        case TimeUnit.CALENDAR_DAYS:
            return calendar.add_calendar_days(received_at, int(value))
        case TimeUnit.WORKING_HOURS:
            return calendar.add_working_hours(received_at, float(value))


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


def start_clock(calendar: WorkingCalendar, *, dossier: DossierClock, limit: TimeLimit, now: datetime) -> None:
    """Acceptance of a complete dossier at `now` starts its clock: the appointment (kept as the original
    one too) and the calendar it was computed on. A dossier accepted before keeps its clock."""
    if dossier.accepted_at is not None:
        return
    dossier.accepted_at = now
    dossier.due_at = appointment_at(
        calendar, received_at=now, value=limit.time_limit_value, unit=limit.time_limit_unit)
    dossier.original_due_at = dossier.due_at
    dossier.calendar_version = calendar.version


def pause_clock(dossier: DossierClock, *, now: datetime) -> None:
    """A supplement requested at `now` pauses an accepted dossier's clock and counts the request; more than
    one request counts the dossier late (QĐ 766). Before acceptance there is no clock to pause."""
    if dossier.accepted_at is None:
        return
    dossier.supplement_count += 1
    dossier.paused_at = now
    if dossier.supplement_count > 1:
        dossier.counted_late = True


def resume_clock(calendar: WorkingCalendar, *, dossier: DossierClock, limit: TimeLimit, now: datetime) -> None:
    """The completed supplement at `now` resumes a paused clock: the appointment moves by the time waited
    or restarts, per the procedure's policy (`resume_due_at`). A clock that is not paused is left alone."""
    if dossier.paused_at is None:
        return
    if dossier.due_at is not None:
        dossier.due_at = resume_due_at(
            calendar, policy=limit.supplement_policy, due_at=dossier.due_at, paused_at=dossier.paused_at,
            resumed_at=now, value=limit.time_limit_value, unit=limit.time_limit_unit)
    dossier.paused_at = None


# ---- work items ----------------------------------------------------------------------------------------


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
        result[str(item["step"])] = step_due_at(calendar, start=start, hours=total)
    return result


def step_hours(steps: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Working hours per step id from a procedure's internal process (`ProcedureVersion.steps`)."""
    return {str(s["step"]): float(s["hours"]) for s in steps}


def give_due_times(
    session: Session, *, calendar: WorkingCalendar, opened: Iterable[WorkItemView],
    hours: Mapping[str, float], start: datetime, otherwise: datetime | None = None,
) -> None:
    """Give each work item opened at `start` its due time: `hours[step]` working hours later
    (`step_due_at`); a step without hours gets `otherwise` (a case's own deadline) or keeps none."""
    for item in opened:
        row = work_item(session, item.id)
        if row is None:
            continue
        step = hours.get(item.element_id)
        due = step_due_at(calendar, start=start, hours=step) if step is not None else otherwise
        if due is not None:
            row.due_at = due
            session.add(row)


# ---- reminders -----------------------------------------------------------------------------------------


def due_soon_threshold(
    calendar: WorkingCalendar, *, due_at: datetime, created_at: datetime, due_soon_hours: float,
) -> float:
    """Working hours before `due_at` at which a step counts as due soon: `due_soon_hours`, but at most
    half the step's own time, so a two-hour step is not reminded the moment it opens."""
    budget = calendar.working_hours_between(created_at, due_at)
    return min(due_soon_hours, budget / 2)


def due_soon_until(calendar: WorkingCalendar, *, now: datetime, due_soon_hours: float) -> datetime:
    """The latest due time a step may have to be due soon at `now` (the bound of the indexed query)."""
    return calendar.add_working_hours(now, due_soon_hours)


def is_due_soon(
    calendar: WorkingCalendar, *, now: datetime, due_at: datetime, created_at: datetime, due_soon_hours: float,
) -> bool:
    """Not yet due, and within `due_soon_threshold` working hours of `due_at`."""
    if due_at <= now:
        return False
    threshold = due_soon_threshold(calendar, due_at=due_at, created_at=created_at, due_soon_hours=due_soon_hours)
    return calendar.working_hours_between(now, due_at) <= threshold + 1e-9


def is_overdue(*, now: datetime, due_at: datetime) -> bool:
    """A step is overdue for the reminders from its due time on (`lateness` of a dossier: after it)."""
    return due_at <= now


def apology_remind_at(calendar: WorkingCalendar, due_at: datetime) -> datetime:
    """Start of office hours of the working day before the appointment's day."""
    day = to_local(due_at).date() - timedelta(days=1)
    for _ in range(_MAX_SEARCH_DAYS):
        if calendar.is_working_day(day):
            return datetime.combine(day, calendar.office_hours.morning_start, tzinfo=VN_TZ).astimezone(UTC)
        day -= timedelta(days=1)
    raise ValueError(f"no working day within a year before {due_at}")


def is_apology_due(calendar: WorkingCalendar, *, now: datetime, due_at: datetime) -> bool:
    """The appointment is still ahead and its apology reminder time (`apology_remind_at`) has come."""
    return due_at > now and apology_remind_at(calendar, due_at) <= now


def apology_horizon(calendar: WorkingCalendar, *, now: datetime) -> datetime:
    """Appointments before this instant may be due an apology reminder at `now` (the bound of the query)."""
    # The latest working day already started → reminders cover appointments up to its next working day.
    local = to_local(now)
    started: date = local.date()
    if not (calendar.is_working_day(started) and local.time() >= calendar.office_hours.morning_start):
        started -= timedelta(days=1)
        for _ in range(_MAX_SEARCH_DAYS):
            if calendar.is_working_day(started):
                break
            started -= timedelta(days=1)
    last_day = calendar.next_working_day(started)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=VN_TZ).astimezone(UTC)


# ---- lateness ------------------------------------------------------------------------------------------


def lateness(
    calendar: WorkingCalendar, *, now: datetime, due_at: datetime, finished_at: datetime | None = None,
    counted_late: bool = False,
) -> Lateness:
    """In progress: overdue after `due_at`, due soon with ≤ 1 working day left, else on track.
    Finished (`finished_at`, i.e. "Đã xử lý xong"): before the appointment day, on it, or late — always
    late when `counted_late` (more than one supplement request, QĐ 766)."""
    if finished_at is not None:
        if counted_late or finished_at > due_at:
            return Lateness.QUA_HAN
        if finished_at.astimezone(VN_TZ).date() == due_at.astimezone(VN_TZ).date():
            return Lateness.DUNG_HAN
        return Lateness.TRUOC_HAN
    if now > due_at:
        return Lateness.QUA_HAN
    if calendar.working_hours_between(now, due_at) <= DUE_SOON_HOURS:
        return Lateness.SAP_DEN_HAN
    return Lateness.TRONG_HAN
