"""Working-day calendar: the announced CBCCVC schedules (DOMAIN §3.2), not the library's guesses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from workflows.calendar import (
    CalendarOverride,
    DayKind,
    OfficeHours,
    WorkingCalendar,
    build_calendar,
    calendar_version,
    delete_calendar_day,
    list_calendar_days,
    load_calendar,
    read_overrides,
    set_calendar_day,
    sync_calendar_overrides,
)
from workflows.core.clock import VN_TZ, ManualClock
from workflows.core.config import CalendarSettings
from workflows.core.errors import NotFound, ValidationFailed


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN_TZ)  # type: ignore[misc]


def local(instant: datetime) -> datetime:
    assert instant.tzinfo is not None and instant.utcoffset() == timedelta(0), "results are UTC-aware"
    return instant.astimezone(VN_TZ).replace(tzinfo=None)


class TestWorkingDays:
    def test_tet_duong_lich_2026_swap(self, official: WorkingCalendar, library_only: WorkingCalendar) -> None:
        # 1/1 and the swapped 2/1 are off, Sat 10/1 is worked (Văn bản 12729/VPCP-KGVX).
        assert local(official.add_working_days(vn(2025, 12, 31, 9), 3)) == datetime(2026, 1, 7, 17, 0)
        assert local(library_only.add_working_days(vn(2025, 12, 31, 9), 3)) == datetime(2026, 1, 6, 17, 0)
        assert not official.is_working_day(date(2026, 1, 2))
        assert official.is_working_day(date(2026, 1, 10))
        assert not library_only.is_working_day(date(2026, 1, 10))

    def test_makeup_saturday_26_april_2025(
        self, official: WorkingCalendar, library_only: WorkingCalendar
    ) -> None:
        received = vn(2025, 4, 24, 10)  # Thursday
        assert local(official.add_working_days(received, 5)) == datetime(2025, 5, 5, 17, 0)
        assert local(library_only.add_working_days(received, 5)) == datetime(2025, 5, 6, 17, 0)

    def test_tet_binh_ngo_2026(self, official: WorkingCalendar) -> None:
        tet = [date(2026, 2, d) for d in range(14, 23)]
        assert [official.is_working_day(d) for d in tet] == [False] * 9
        assert official.is_working_day(date(2026, 2, 13))
        assert official.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
        assert local(official.add_working_days(vn(2026, 2, 13, 9), 2)) == datetime(2026, 2, 24, 17, 0)

    def test_quoc_khanh_2026(self, official: WorkingCalendar) -> None:
        assert official.is_working_day(date(2026, 8, 22))  # make-up Saturday
        assert [
            official.is_working_day(date(2026, 8, 31)),
            official.is_working_day(date(2026, 9, 1)),
            official.is_working_day(date(2026, 9, 2)),
        ] == [False, False, False]
        assert official.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)
        assert official.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)
        # Fri 28/8 + 2 working days: Thu 3/9, Fri 4/9.
        assert local(official.add_working_days(vn(2026, 8, 28, 9), 2)) == datetime(2026, 9, 4, 17, 0)

    def test_culture_day_stays_a_working_day(
        self, official: WorkingCalendar, library_only: WorkingCalendar
    ) -> None:
        assert official.is_working_day(date(2026, 11, 24))
        assert not library_only.is_working_day(date(2026, 11, 24))

    def test_giỗ_tổ_2026_observed_monday(self, official: WorkingCalendar) -> None:
        assert not official.is_working_day(date(2026, 4, 27))
        assert official.next_working_day(date(2026, 4, 24)) == date(2026, 4, 28)


class TestReceipt:
    def test_before_closing_counts_that_day(self, official: WorkingCalendar) -> None:
        assert local(official.add_working_days(vn(2026, 1, 5, 16, 30), 1)) == datetime(2026, 1, 6, 17, 0)

    def test_after_closing_counts_from_next_working_day(self, official: WorkingCalendar) -> None:
        assert official.received_on(vn(2026, 1, 5, 17, 30)) == date(2026, 1, 6)
        assert local(official.add_working_days(vn(2026, 1, 5, 17, 30), 1)) == datetime(2026, 1, 7, 17, 0)

    def test_day_off_counts_from_next_working_day(self, official: WorkingCalendar) -> None:
        assert local(official.add_working_days(vn(2026, 1, 3, 9), 1)) == datetime(2026, 1, 6, 17, 0)

    def test_instants_in_other_zones_are_converted(self, official: WorkingCalendar) -> None:
        # 09:45 UTC on Mon 5/1 is 16:45 in Hanoi (still open); 10:15 UTC is 17:15 (closed).
        assert official.received_on(datetime(2026, 1, 5, 9, 45, tzinfo=UTC)) == date(2026, 1, 5)
        assert official.received_on(datetime(2026, 1, 5, 10, 15, tzinfo=UTC)) == date(2026, 1, 6)

    def test_naive_datetimes_are_refused(self, official: WorkingCalendar) -> None:
        with pytest.raises(ValueError):
            official.add_working_days(datetime(2026, 1, 5, 9), 1)


class TestCalendarDays:
    def test_rolls_off_a_weekend(self, official: WorkingCalendar) -> None:
        # Wed 7/1/2026 + 10 days = Sat 17/1 → Mon 19/1.
        assert local(official.add_calendar_days(vn(2026, 1, 7, 9), 10)) == datetime(2026, 1, 19, 17, 0)

    def test_keeps_a_makeup_saturday(self, official: WorkingCalendar) -> None:
        # Wed 12/8/2026 + 10 days = Sat 22/8, a working day.
        assert local(official.add_calendar_days(vn(2026, 8, 12, 9), 10)) == datetime(2026, 8, 22, 17, 0)

    def test_rolls_over_a_holiday_chain(self, official: WorkingCalendar) -> None:
        # Fri 21/8/2026 + 10 days = Mon 31/8 (off), 1/9 and 2/9 off → Thu 3/9.
        assert local(official.add_calendar_days(vn(2026, 8, 21, 9), 10)) == datetime(2026, 9, 3, 17, 0)

    def test_working_last_day_is_kept(self, official: WorkingCalendar) -> None:
        assert local(official.add_calendar_days(vn(2026, 3, 2, 9), 15)) == datetime(2026, 3, 17, 17, 0)


class TestWorkingHours:
    def test_across_lunch(self, official_8h: WorkingCalendar) -> None:
        assert local(official_8h.add_working_hours(vn(2026, 1, 5, 11), 2)) == datetime(2026, 1, 5, 14, 30)

    def test_lunch_start_resumes_after_lunch(self, official_8h: WorkingCalendar) -> None:
        assert local(official_8h.add_working_hours(vn(2026, 1, 5, 12), 1)) == datetime(2026, 1, 5, 14, 0)

    def test_ending_on_session_end_stays_there(self, official_8h: WorkingCalendar) -> None:
        assert local(official_8h.add_working_hours(vn(2026, 1, 5, 7, 30), 4)) == datetime(2026, 1, 5, 11, 30)
        assert local(official_8h.add_working_hours(vn(2026, 1, 5, 7, 30), 8)) == datetime(2026, 1, 5, 17, 0)

    def test_across_a_weekend(self, official_8h: WorkingCalendar) -> None:
        assert local(official_8h.add_working_hours(vn(2026, 1, 16, 16), 4)) == datetime(2026, 1, 19, 10, 30)

    def test_into_a_makeup_saturday(self, official_8h: WorkingCalendar) -> None:
        assert local(official_8h.add_working_hours(vn(2026, 1, 9, 16), 4)) == datetime(2026, 1, 10, 10, 30)

    def test_across_a_holiday(self, official_8h: WorkingCalendar) -> None:
        # Wed 29/4/2026 15:00: 2 h that day; 30/4, 1/5 and the weekend off; 6 h on Mon 4/5.
        assert local(official_8h.add_working_hours(vn(2026, 4, 29, 15), 8)) == datetime(2026, 5, 4, 15, 0)
        assert official_8h.working_hours_between(vn(2026, 4, 29, 15), vn(2026, 5, 4, 15)) == 8

    def test_default_office_day_is_eight_working_hours(self, official: WorkingCalendar) -> None:
        # 07:30–11:30 + 13:30–17:00 is 7.5 clock hours, still 8 working hours: a working hour is
        # 56¼ minutes, so 2 working hours from 11:00 end at 11:30 + 82½ minutes after 13:30.
        start = vn(2026, 1, 5, 11)
        assert official.working_hours_between(vn(2026, 1, 5, 7, 30), vn(2026, 1, 5, 17)) == 8
        assert local(official.add_working_hours(start, 2)) == datetime(2026, 1, 5, 14, 52, 30)
        assert local(official.add_working_hours(vn(2026, 1, 5, 7, 30), 40)) == datetime(2026, 1, 9, 17, 0)

    @pytest.mark.parametrize("hours", [0.5, 3, 7.25, 8, 13, 40, 120])
    def test_between_inverts_add(self, official: WorkingCalendar, hours: float) -> None:
        for start in (vn(2026, 2, 12, 9, 10), vn(2026, 8, 20, 14), vn(2025, 12, 30, 16, 59)):
            end = official.add_working_hours(start, hours)
            assert official.working_hours_between(start, end) == pytest.approx(hours)
            assert official.working_hours_between(end, start) == pytest.approx(-hours)

    def test_closed_time_counts_nothing(self, official: WorkingCalendar) -> None:
        assert official.working_hours_between(vn(2026, 1, 16, 17), vn(2026, 1, 19, 7, 30)) == 0
        assert official.working_hours_between(vn(2026, 1, 5, 11, 30), vn(2026, 1, 5, 13, 30)) == 0

    def test_working_days_left(self, official: WorkingCalendar) -> None:
        assert official.working_days_left(vn(2026, 2, 13, 17), vn(2026, 2, 25, 17)) == 3
        assert official.working_days_left(vn(2026, 2, 25, 17), vn(2026, 2, 24, 17)) == -1


class TestOfficeHoursAndVersion:
    def test_from_settings(self) -> None:
        settings = CalendarSettings(afternoon_start=time(13, 0))
        hours = OfficeHours.from_settings(settings)
        assert hours.afternoon_start == time(13, 0) and hours.day_seconds == 8 * 3600

    def test_disordered_hours_are_refused(self) -> None:
        with pytest.raises(ValueError):
            OfficeHours(morning_start=time(8), morning_end=time(7))

    def test_day_both_off_and_working_is_refused(self) -> None:
        with pytest.raises(ValueError):
            WorkingCalendar(
                days_off={date(2026, 1, 10)}, workdays={date(2026, 1, 10)}, office_hours=OfficeHours()
            )

    def test_version_follows_the_effective_days(self, official: WorkingCalendar) -> None:
        same = build_calendar(years=range(2025, 2028), overrides=read_overrides(), office_hours=OfficeHours())
        assert calendar_version(same) == calendar_version(official)
        extra = CalendarOverride(day=date(2026, 10, 12), kind=DayKind.SUBSTITUTE_OFF, legal_ref="storm")
        changed = build_calendar(
            years=range(2025, 2028), overrides=[*read_overrides(), extra], office_hours=OfficeHours()
        )
        assert calendar_version(changed) != calendar_version(official)
        assert len(calendar_version(official)) == 12
        assert official.version == calendar_version(official) != changed.version

    def test_override_file_is_complete_for_announced_years(self) -> None:
        kinds = {o.day: o.kind for o in read_overrides()}
        assert kinds[date(2026, 1, 2)] is DayKind.SUBSTITUTE_OFF
        assert {d for d, k in kinds.items() if k is DayKind.MAKEUP_WORKDAY} == {
            date(2025, 4, 26),
            date(2026, 1, 10),
            date(2026, 8, 22),
        }
        assert kinds[date(2026, 11, 24)] is DayKind.NOT_A_HOLIDAY


SETTINGS = CalendarSettings()
CLOCK_START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class TestCalendarTable:
    def test_sync_is_idempotent_and_loads_the_official_calendar(
        self, session: Session, official: WorkingCalendar
    ) -> None:
        written = sync_calendar_overrides(session)
        assert len(written) == len(read_overrides())
        session.commit()
        assert sync_calendar_overrides(session) == []
        loaded = load_calendar(session, settings=SETTINGS, years=range(2025, 2028))
        assert calendar_version(loaded) == calendar_version(official)
        assert local(loaded.add_working_days(vn(2025, 12, 31, 9), 3)) == datetime(2026, 1, 7, 17, 0)

    def test_admin_edit_changes_the_calendar_and_survives_sync(self, session: Session) -> None:
        sync_calendar_overrides(session)
        before = load_calendar(session, settings=SETTINGS, years=range(2026, 2027))
        set_calendar_day(
            session,
            day=date(2026, 11, 24),
            kind="HOLIDAY",
            legal_ref="Bộ luật Lao động sửa đổi (giả định)",
            note="Ngày Văn hóa Việt Nam",
            actor="quantri",
            clock=ManualClock(CLOCK_START),
        )
        session.commit()
        assert sync_calendar_overrides(session) == []
        after = load_calendar(session, settings=SETTINGS, years=range(2026, 2027))
        assert not after.is_working_day(date(2026, 11, 24))
        assert before.is_working_day(date(2026, 11, 24))
        assert calendar_version(after) != calendar_version(before)
        row = next(r for r in list_calendar_days(session, year=2026) if r.day == date(2026, 11, 24))
        assert (row.kind, row.source) == ("HOLIDAY", "quantri")

    def test_changed_file_updates_file_rows(self, session: Session, tmp_path: Path) -> None:
        path = tmp_path / "overrides.toml"
        path.write_text('[[day]]\ndate = 2026-10-12\nkind = "SUBSTITUTE_OFF"\nlegal_ref = "QĐ A"\n')
        assert len(sync_calendar_overrides(session, path=path)) == 1
        path.write_text('[[day]]\ndate = 2026-10-12\nkind = "SUBSTITUTE_OFF"\nlegal_ref = "QĐ B"\n')
        [row] = sync_calendar_overrides(session, path=path)
        assert row.legal_ref == "QĐ B"
        assert [r.legal_ref for r in list_calendar_days(session)] == ["QĐ B"]

    def test_makeup_day_must_be_a_weekend(self, session: Session) -> None:
        with pytest.raises(ValidationFailed):
            set_calendar_day(session, day=date(2026, 10, 14), kind="MAKEUP_WORKDAY", legal_ref="x")
        with pytest.raises(ValidationFailed):
            set_calendar_day(session, day=date(2026, 10, 17), kind="HALF_DAY", legal_ref="x")

    def test_delete(self, session: Session) -> None:
        set_calendar_day(session, day=date(2026, 10, 12), kind="SUBSTITUTE_OFF", legal_ref="Bão số 3")
        session.commit()
        assert not load_calendar(session, settings=SETTINGS, years=range(2026, 2027)).is_working_day(
            date(2026, 10, 12)
        )
        delete_calendar_day(session, day=date(2026, 10, 12))
        session.commit()
        assert load_calendar(session, settings=SETTINGS, years=range(2026, 2027)).is_working_day(
            date(2026, 10, 12)
        )
        with pytest.raises(NotFound):
            delete_calendar_day(session, day=date(2026, 10, 12))
