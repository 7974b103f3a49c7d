"""The working-day calendar of a state agency: pure arithmetic on aware instants, no database.

Conventions (read these before using the results):

* Every method takes aware datetimes and returns **UTC-aware** datetimes; local Vietnam time
  (``VN_TZ``) is used only inside, to decide the day and the office session.
* A **working hour** is the catalogue's unit: one working day is ``HOURS_PER_WORKING_DAY`` (8)
  working hours, spread evenly over the configured office sessions (the TD/Thanh Hóa systems keep
  periods in hours and print ``hours / 8`` working days). With an 8-hour office day a working hour
  is a clock hour; with the default 7.5-hour day (07:30–11:30, 13:30–17:00) it is 56¼ minutes.
  This keeps "40 working hours" equal to "5 working days" whatever the province's office hours.
* A dossier received outside office hours (after the afternoon session or on a day off) is deemed
  received at the start of the next working day (DOMAIN §1.3 item 2); before the morning session
  it is received that morning.
* Appointments expressed in days end at the end of office hours of their last day.
* Days outside the years the calendar was built for count as ordinary weeks (Mon–Fri working).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from workflows.core.clock import VN_TZ
from workflows.core.config import CalendarSettings

HOURS_PER_WORKING_DAY = 8
# A guard against a misconfigured calendar (every day off) turning a search into an endless loop.
_MAX_SEARCH_DAYS = 366


@dataclass(frozen=True)
class OfficeHours:
    """The two office sessions of a working day, in Vietnam local time."""

    morning_start: time = time(7, 30)
    morning_end: time = time(11, 30)
    afternoon_start: time = time(13, 30)
    afternoon_end: time = time(17, 0)

    def __post_init__(self) -> None:
        if not self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end:
            raise ValueError("office hours must be ordered: morning start < end <= afternoon start < end")

    @classmethod
    def from_settings(cls, settings: CalendarSettings) -> OfficeHours:
        return cls(
            morning_start=settings.morning_start,
            morning_end=settings.morning_end,
            afternoon_start=settings.afternoon_start,
            afternoon_end=settings.afternoon_end,
        )

    @property
    def morning_seconds(self) -> Fraction:
        return _seconds(self.morning_end) - _seconds(self.morning_start)

    @property
    def day_seconds(self) -> Fraction:
        return self.morning_seconds + _seconds(self.afternoon_end) - _seconds(self.afternoon_start)

    def elapsed(self, moment: time) -> Fraction:
        """Share (0..1) of the office day that has passed at local time `moment`."""
        seconds = _seconds(moment)
        if seconds <= _seconds(self.morning_start):
            done = Fraction(0)
        elif seconds <= _seconds(self.morning_end):
            done = seconds - _seconds(self.morning_start)
        elif seconds <= _seconds(self.afternoon_start):
            done = self.morning_seconds
        elif seconds <= _seconds(self.afternoon_end):
            done = self.morning_seconds + seconds - _seconds(self.afternoon_start)
        else:
            done = self.day_seconds
        return done / self.day_seconds

    def moment(self, share: Fraction) -> time:
        """Local time at which `share` (0..1) of the office day has passed; the morning end wins ties."""
        seconds = share * self.day_seconds
        if seconds <= self.morning_seconds:
            base = _seconds(self.morning_start)
        else:
            base = _seconds(self.afternoon_start) - self.morning_seconds
        total = base + seconds
        whole = int(total)
        micro = round((total - whole) * 1_000_000)
        return (datetime.combine(date.min, time()) + timedelta(seconds=whole, microseconds=micro)).time()


class WorkingCalendar:
    """Working days = Monday–Friday minus `days_off`, plus `workdays` (make-up Saturdays)."""

    def __init__(self, days_off: Iterable[date], workdays: Iterable[date], office_hours: OfficeHours) -> None:
        self.days_off = frozenset(days_off)
        self.workdays = frozenset(workdays)
        both = self.days_off & self.workdays
        if both:
            raise ValueError(f"days both off and working: {sorted(both)}")
        self.office_hours = office_hours
        self._version: str | None = None

    @property
    def version(self) -> str:
        """`calendar_version(self)`, computed once (the calendar is immutable)."""
        if self._version is None:
            self._version = calendar_version(self)
        return self._version

    # -- days -----------------------------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.days_off

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        for offset in range(1, _MAX_SEARCH_DAYS + 1):
            candidate = d + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within a year after {d}")

    def received_on(self, instant: datetime) -> date:
        """The local day a dossier counts as received (outside office hours → next working day)."""
        local = _local(instant)
        day = local.date()
        if not self.is_working_day(day) or self.office_hours.elapsed(local.time()) == 1:
            return self.next_working_day(day)
        return day

    # -- appointments ---------------------------------------------------------------------------
    def add_working_days(self, start: datetime, n: int) -> datetime:
        """End of office hours of the n-th working day after the receipt day (the first day is not
        counted, BLDS 2015 Điều 147); `n == 0` gives the end of the receipt day itself."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = self.received_on(start)
        for _ in range(n):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def add_calendar_days(self, start: datetime, n: int) -> datetime:
        """End of office hours of the n-th calendar day after the receipt day; a last day that is a
        day off rolls to the end of the next working day (BLDS 2015 Điều 148 k5)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = self.received_on(start) + timedelta(days=n)
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def end_of_day(self, d: date) -> datetime:
        return _utc(d, self.office_hours.afternoon_end)

    # -- working hours --------------------------------------------------------------------------
    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` working hours after `start`, counting only office time; a result
        that lands exactly on a session end stays there (11:30 / 17:00), not on the next start."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        day, share = self._position(start)
        total = share + Fraction(hours).limit_denominator(3_600_000) / HOURS_PER_WORKING_DAY
        while total > 1:
            total -= 1
            day = self.next_working_day(day)
        return _utc(day, self.office_hours.moment(total))

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from `a` to `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.working_hours_between(b, a)
        day_a, share_a = self._position(a)
        day_b, share_b = self._position(b)
        days = 0
        day = day_a
        while day < day_b:
            day = self.next_working_day(day)
            days += 1
        return float((days + share_b - share_a) * HOURS_PER_WORKING_DAY)

    def working_days_left(self, now: datetime, due: datetime) -> float:
        """Working days (8 working hours each) from `now` to `due`; negative once overdue."""
        return self.working_hours_between(now, due) / HOURS_PER_WORKING_DAY

    def _position(self, instant: datetime) -> tuple[date, Fraction]:
        """(working day, share of its office time passed); outside office days → next day at 0."""
        local = _local(instant)
        day = local.date()
        if not self.is_working_day(day):
            return self.next_working_day(day), Fraction(0)
        share = self.office_hours.elapsed(local.time())
        if share == 1:
            return self.next_working_day(day), Fraction(0)
        return day, share


def calendar_version(calendar: WorkingCalendar) -> str:
    """A short digest of the effective days off, make-up days and office hours. Store it on each
    dossier: a later announcement changes the digest instead of silently moving printed dates."""
    hours = calendar.office_hours
    text = "|".join(
        [
            "off:" + ",".join(d.isoformat() for d in sorted(calendar.days_off)),
            "work:" + ",".join(d.isoformat() for d in sorted(calendar.workdays)),
            "hours:" + ",".join(
                t.isoformat() for t in (hours.morning_start, hours.morning_end, hours.afternoon_start,
                                        hours.afternoon_end)
            ),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _seconds(moment: time) -> Fraction:
    whole = moment.hour * 3600 + moment.minute * 60 + moment.second
    return whole + Fraction(moment.microsecond, 10**6)


def _local(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the calendar needs aware datetimes")
    return instant.astimezone(VN_TZ)


def _utc(d: date, moment: time) -> datetime:
    return datetime.combine(d, moment, tzinfo=VN_TZ).astimezone(UTC)
