"""Appointments, step due times, supplements (pause vs restart) and lateness classes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from workflows.calendar import WorkingCalendar
from workflows.core.clock import VN_TZ
from workflows.deadlines.service import Lateness, appointment_at, lateness, resume_due_at, step_due_at, step_due_times
from workflows.procedures import DATA_DIR, read_spec_file


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN_TZ)  # type: ignore[misc]


def local(instant: datetime) -> datetime:
    assert instant.utcoffset() == timedelta(0), "results are UTC-aware"
    return instant.astimezone(VN_TZ).replace(tzinfo=None)


class TestAppointment:
    def test_working_days(self, official: WorkingCalendar) -> None:
        due = appointment_at(official, received_at=vn(2025, 4, 24, 10), value=5, unit="working_days")
        assert local(due) == datetime(2025, 5, 5, 17, 0)

    def test_calendar_days(self, official: WorkingCalendar) -> None:
        due = appointment_at(official, received_at=vn(2026, 1, 7, 9), value=10, unit="calendar_days")
        assert local(due) == datetime(2026, 1, 19, 17, 0)

    def test_working_hours(self, official_8h: WorkingCalendar) -> None:
        due = appointment_at(official_8h, received_at=vn(2026, 1, 9, 15), value=4, unit="working_hours")
        assert local(due) == datetime(2026, 1, 10, 9, 30)  # Sat 10/1 is a working day

    def test_unknown_unit(self, official: WorkingCalendar) -> None:
        with pytest.raises(ValueError):
            appointment_at(official, received_at=vn(2026, 1, 7, 9), value=3, unit="weeks")


class TestStepDueTimes:
    def test_karaoke_steps_fit_inside_the_appointment(self, official: WorkingCalendar) -> None:
        spec = read_spec_file(DATA_DIR / "VHTTDL-KARAOKE.toml")
        start = vn(2026, 1, 5, 7, 30)
        steps = [s.model_dump() for s in spec.steps]
        due = step_due_times(official, start=start, steps=steps)
        assert list(due) == [s["step"] for s in steps]
        assert due["tiep_nhan"] == step_due_at(official, start=start, hours=4)
        # Half of the 7.5-hour office day: 3¾ clock hours.
        assert local(due["tiep_nhan"]) == datetime(2026, 1, 5, 11, 15)
        assert due["tra_ket_qua"] == due["phat_hanh"]  # 0 hours
        ordered = list(due.values())
        assert ordered == sorted(ordered)
        # 40 working hours from Mon 07:30 end on Fri 9/1 17:00; Sat 10/1 is a make-up day, so the
        # 5-working-day appointment is Sat 10/1 17:00.
        assert local(ordered[-1]) == datetime(2026, 1, 9, 17, 0)
        appointment = appointment_at(official, received_at=start, value=5, unit="working_days")
        assert local(appointment) == datetime(2026, 1, 10, 17, 0)
        assert ordered[-1] <= appointment

    def test_cumulative_hours(self, official_8h: WorkingCalendar) -> None:
        steps = [
            {"step": "tiep_nhan", "hours": 4},
            {"step": "phan_cong", "hours": 6},
            {"step": "ky_duyet", "hours": 2},
        ]
        due = step_due_times(official_8h, start=vn(2026, 1, 16, 13), steps=steps)
        assert [local(d) for d in due.values()] == [
            datetime(2026, 1, 16, 17, 0),
            datetime(2026, 1, 19, 15, 0),
            datetime(2026, 1, 19, 17, 0),
        ]


class TestSupplement:
    def test_pause_extends_by_working_time_waited(self, official_8h: WorkingCalendar) -> None:
        due = vn(2026, 1, 7, 17)
        new_due = resume_due_at(
            official_8h,
            policy="pause",
            due_at=due,
            paused_at=vn(2026, 1, 5, 10),
            resumed_at=vn(2026, 1, 6, 10),
            value=5,
            unit="working_days",
        )
        assert local(new_due) == datetime(2026, 1, 8, 17, 0)

    def test_pause_counts_makeup_saturday_but_not_sunday(self, official_8h: WorkingCalendar) -> None:
        # Fri 9/1 15:00 → Mon 12/1 15:00: 2 h + Sat 10/1 (8 h) + 6 h = 16 working hours.
        paused, resumed = vn(2026, 1, 9, 15), vn(2026, 1, 12, 15)
        assert official_8h.working_hours_between(paused, resumed) == 16
        new_due = resume_due_at(
            official_8h,
            policy="pause",
            due_at=vn(2026, 1, 13, 17),
            paused_at=paused,
            resumed_at=resumed,
            value=5,
            unit="working_days",
        )
        assert local(new_due) == datetime(2026, 1, 15, 17, 0)

    def test_pause_over_closed_time_changes_nothing(self, official: WorkingCalendar) -> None:
        due = vn(2026, 1, 20, 17)
        assert (
            resume_due_at(
                official,
                policy="pause",
                due_at=due,
                paused_at=vn(2026, 1, 16, 17, 30),
                resumed_at=vn(2026, 1, 18, 20),
                value=5,
                unit="working_days",
            )
            == due
        )

    def test_restart_counts_the_whole_period_again(self, official: WorkingCalendar) -> None:
        new_due = resume_due_at(
            official,
            policy="restart",
            due_at=vn(2026, 1, 7, 17),
            paused_at=vn(2026, 1, 5, 10),
            resumed_at=vn(2026, 1, 6, 10),
            value=5,
            unit="working_days",
        )
        # Wed 7, Thu 8, Fri 9, Sat 10 (make-up), Mon 12.
        assert local(new_due) == datetime(2026, 1, 12, 17, 0)

    def test_restart_in_calendar_days(self, official: WorkingCalendar) -> None:
        new_due = resume_due_at(
            official,
            policy="restart",
            due_at=vn(2026, 8, 10, 17),
            paused_at=vn(2026, 8, 3, 9),
            resumed_at=vn(2026, 8, 21, 9),
            value=10,
            unit="calendar_days",
        )
        assert local(new_due) == datetime(2026, 9, 3, 17, 0)

    def test_resume_before_pause_is_refused(self, official: WorkingCalendar) -> None:
        with pytest.raises(ValueError):
            resume_due_at(
                official,
                policy="pause",
                due_at=vn(2026, 1, 7, 17),
                paused_at=vn(2026, 1, 6, 10),
                resumed_at=vn(2026, 1, 5, 10),
                value=5,
                unit="working_days",
            )


class TestLateness:
    DUE = (2026, 2, 24, 17)  # Tue, the first working days after Tết are Mon 23 and Tue 24

    def test_in_progress(self, official: WorkingCalendar) -> None:
        due = vn(*self.DUE)
        assert lateness(official, now=vn(2026, 2, 13, 9), due_at=due) is Lateness.TRONG_HAN
        # Fri 13/2 17:00 → Tue 24/2 17:00 is two working days: still on track across Tết.
        assert lateness(official, now=vn(2026, 2, 13, 17), due_at=due) is Lateness.TRONG_HAN
        assert lateness(official, now=vn(2026, 2, 23, 16), due_at=due) is Lateness.TRONG_HAN
        assert lateness(official, now=vn(2026, 2, 23, 17), due_at=due) is Lateness.SAP_DEN_HAN
        assert lateness(official, now=vn(2026, 2, 24, 9), due_at=due) is Lateness.SAP_DEN_HAN
        assert lateness(official, now=vn(2026, 2, 24, 17, 1), due_at=due) is Lateness.QUA_HAN

    def test_due_soon_follows_working_time_not_clock_time(self, official: WorkingCalendar) -> None:
        # Sat 21/2 is 3 clock days before the due time but only 2 working days: on track; Sun 22/2
        # evening is 2 working days too; the Monday morning leaves 1.x days.
        due = vn(*self.DUE)
        assert lateness(official, now=vn(2026, 2, 22, 20), due_at=due) is Lateness.TRONG_HAN
        assert lateness(official, now=vn(2026, 2, 23, 10), due_at=due) is Lateness.TRONG_HAN

    def test_finished(self, official: WorkingCalendar) -> None:
        due = vn(*self.DUE)
        now = vn(2026, 3, 10, 9)  # ignored once finished
        assert lateness(official, now=now, due_at=due, finished_at=vn(2026, 2, 23, 16)) is Lateness.TRUOC_HAN
        assert lateness(official, now=now, due_at=due, finished_at=vn(2026, 2, 24, 8)) is Lateness.DUNG_HAN
        assert lateness(official, now=now, due_at=due, finished_at=vn(2026, 2, 24, 17)) is Lateness.DUNG_HAN
        assert lateness(official, now=now, due_at=due, finished_at=vn(2026, 2, 24, 17, 5)) is Lateness.QUA_HAN

    def test_values_are_the_api_strings(self) -> None:
        assert [v.value for v in Lateness] == ["trong_han", "sap_den_han", "qua_han", "truoc_han", "dung_han"]
