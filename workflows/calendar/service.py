"""The calendar as the agency keeps it: overrides in `calendar_day`, seeded from the data file and
edited by administrators; `load_calendar` turns them into a WorkingCalendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from workflows.calendar.models import CalendarDay
from workflows.calendar.overrides import CalendarOverride, DayKind, build_calendar, read_overrides
from workflows.calendar.working import OfficeHours, WorkingCalendar
from workflows.core.clock import Clock, SystemClock
from workflows.core.config import CalendarSettings
from workflows.core.errors import NotFound, ValidationFailed

FILE_SOURCE = "file"


def sync_calendar_overrides(
    session: Session, *, path: Path | None = None, clock: Clock | None = None
) -> list[CalendarDay]:
    """Bring the file's days into `calendar_day`: insert new days, update days still owned by the
    file; never touch a day an administrator edited. Idempotent. Returns the rows written."""
    now = (clock or SystemClock()).now()
    existing = {row.day: row for row in session.exec(select(CalendarDay)).all()}
    written: list[CalendarDay] = []
    for override in read_overrides(path):
        row = existing.get(override.day)
        if row is None:
            row = CalendarDay(
                day=override.day, kind=override.kind.value, legal_ref=override.legal_ref, note=override.note,
                source=FILE_SOURCE, created_at=now, updated_at=now,
            )
        elif row.source != FILE_SOURCE or (row.kind, row.legal_ref, row.note) == (
            override.kind.value, override.legal_ref, override.note
        ):
            continue
        else:
            row.kind, row.legal_ref, row.note, row.updated_at = (
                override.kind.value, override.legal_ref, override.note, now
            )
        session.add(row)
        written.append(row)
    session.flush()
    return written


def list_calendar_days(session: Session, *, year: int | None = None) -> list[CalendarDay]:
    statement = select(CalendarDay).order_by(col(CalendarDay.day))
    if year is not None:
        statement = statement.where(
            col(CalendarDay.day) >= date(year, 1, 1), col(CalendarDay.day) <= date(year, 12, 31)
        )
    return list(session.exec(statement).all())


def set_calendar_day(
    session: Session, *, day: date, kind: str, legal_ref: str, note: str = "", actor: str | None = None,
    clock: Clock | None = None,
) -> CalendarDay:
    """Create or replace the override of `day` (an administrator's edit; the file stops owning it)."""
    try:
        day_kind = DayKind(kind)
    except ValueError as exc:
        raise ValidationFailed(
            "Loại ngày không hợp lệ.",
            errors=[{"field": "kind", "message": f"Phải là một trong: {', '.join(DayKind)}."}],
        ) from exc
    if not legal_ref.strip():
        raise ValidationFailed(
            "Cần ghi căn cứ pháp lý.", errors=[{"field": "legal_ref", "message": "Không được để trống."}]
        )
    if day_kind is DayKind.MAKEUP_WORKDAY and day.weekday() < 5:
        raise ValidationFailed(
            "Ngày làm bù phải là thứ Bảy hoặc Chủ nhật.",
            errors=[{"field": "day", "message": "Ngày làm bù phải là thứ Bảy hoặc Chủ nhật."}],
        )
    now = (clock or SystemClock()).now()
    row = session.exec(select(CalendarDay).where(CalendarDay.day == day)).first()
    if row is None:
        row = CalendarDay(day=day, kind=day_kind.value, legal_ref="", created_at=now, updated_at=now)
    row.kind, row.legal_ref, row.note, row.updated_at = day_kind.value, legal_ref.strip(), note, now
    row.source = actor or "admin"
    session.add(row)
    session.flush()
    return row


def delete_calendar_day(session: Session, *, day: date) -> None:
    """Remove the override of `day`. A day that came from the data file returns at the next sync:
    to cancel such a day, set the opposite kind instead (e.g. NOT_A_HOLIDAY)."""
    row = session.exec(select(CalendarDay).where(CalendarDay.day == day)).first()
    if row is None:
        raise NotFound(
            f"Không có ngày điều chỉnh lịch làm việc {day:%d/%m/%Y}.", code="calendar_day_not_found"
        )
    session.delete(row)
    session.flush()


def load_calendar(session: Session, *, settings: CalendarSettings, years: range) -> WorkingCalendar:
    """The working calendar of `years`: the library seed corrected by every `calendar_day` row."""
    overrides = [
        CalendarOverride(day=row.day, kind=DayKind(row.kind), legal_ref=row.legal_ref, note=row.note)
        for row in session.exec(select(CalendarDay)).all()
    ]
    return build_calendar(years=years, overrides=overrides, office_hours=OfficeHours.from_settings(settings))
