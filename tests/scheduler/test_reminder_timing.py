"""Reminders at the right working-hour moment across a weekend and a holiday, each exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from connectors.outbox import OutboxMessage
from tests.scheduler.assembly import Domain, vn
from tests.scheduler.conftest import complete, dossier, intake, notifications, open_item, set_due
from workflows.core.db import session_scope
from workflows.dossiers.models import Dossier
from workflows.identity.models import Official
from workflows.reminders.models import ReminderSent
from workflows.scheduler import Scheduler


def run_at(domain: Domain, scheduler: Scheduler, at: datetime) -> int:
    domain.clock.set(at)
    return scheduler.run_once("reminders")


def assigned_inspection(domain: Domain) -> tuple[str, str]:
    """A karaoke dossier past assignment: its open step is the site inspection of `chuyen_vien`."""
    code = intake(domain)
    complete(domain, "lanh_dao_phong", code, {"case_officer": "chuyen_vien"})
    item = open_item(domain, code)
    assert (item.lane, item.assignee) == ("CHUYEN_VIEN", "chuyen_vien")
    return code, item.id


class TestAcrossAWeekend:
    def test_due_soon_friday_afternoon_overdue_and_escalation_monday_each_once(self, domain: Domain) -> None:
        # Received Tuesday 24/11/2026; the step is due Monday 30/11 at 09:00, after the weekend.
        code, task = assigned_inspection(domain)
        set_due(domain, task, due_at=vn(2026, 11, 30, 9, 0), created_at=vn(2026, 11, 24, 9, 0))
        scheduler = domain.scheduler()

        # 4 working hours before Monday 09:00: Monday 07:30–09:00 is 1.6 of them (a working hour is 56¼ min
        # in a 7.5-hour office day), the other 2.4 end Friday at 17:00, so the reminder is due Friday 14:45.
        assert run_at(domain, scheduler, vn(2026, 11, 27, 14, 44)) == 0
        assert notifications(domain) == []
        assert run_at(domain, scheduler, vn(2026, 11, 27, 14, 45)) == 1
        assert notifications(domain) == [("chuyen_vien", "due_soon", task)]

        for later in (
            vn(2026, 11, 27, 16, 0),
            vn(2026, 11, 28, 10, 0),
            vn(2026, 11, 29, 20, 0),
            vn(2026, 11, 30, 7, 0),
        ):
            assert run_at(domain, scheduler, later) == 0
        assert len(notifications(domain)) == 1

        # The appointment is Tuesday 01/12 17:00 (5 working days): the apology reminder is due at the start
        # of the working day before it, Monday 07:30, to the case officer.
        assert dossier(domain, code).due_at == vn(2026, 12, 1, 17, 0)
        assert run_at(domain, scheduler, vn(2026, 11, 30, 8, 59)) == 1
        assert notifications(domain)[-1] == ("chuyen_vien", "apology_due", code)

        assert run_at(domain, scheduler, vn(2026, 11, 30, 9, 0)) == 2
        assert sorted(notifications(domain)[-2:]) == [
            ("chuyen_vien", "overdue", task),
            ("lanh_dao_phong", "escalation", task),
        ]
        for later in (vn(2026, 11, 30, 9, 1), vn(2026, 11, 30, 15, 0), vn(2026, 12, 1, 8, 0)):
            assert run_at(domain, scheduler, later) == 0
        assert len(notifications(domain)) == 4
        with Session(domain.db) as session:
            sent = session.exec(select(ReminderSent.subject, ReminderSent.kind)).all()
        assert sorted(sent) == sorted(
            [
                (f"task:{task}", "due_soon"),
                (f"task:{task}", "overdue"),
                (f"task:{task}", "escalation"),
                (f"dossier:{code}", "apology_due"),
            ]
        )

    def test_officials_with_zalo_also_get_one_zalo_message(self, domain: Domain) -> None:
        code, task = assigned_inspection(domain)
        with session_scope(domain.db) as session:
            official = session.exec(select(Official).where(Official.username == "chuyen_vien")).one()
            official.zalo_user_id = "8400000000000000001"
            session.add(official)
        set_due(domain, task, due_at=vn(2026, 11, 30, 9, 0))
        scheduler = domain.scheduler()
        for at in (vn(2026, 11, 30, 9, 0), vn(2026, 11, 30, 9, 5)):
            run_at(domain, scheduler, at)
        with Session(domain.db) as session:
            messages = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "official_reminder")
                .order_by(col(OutboxMessage.id))
            ).all()
        # overdue + apology_due to chuyen_vien (linked); the escalation goes to lanh_dao_phong (not linked).
        cv = domain.official("chuyen_vien")
        assert sorted(m.idempotency_key for m in messages) == sorted(
            [f"reminder:task:{task}:overdue:{cv.id}", f"reminder:dossier:{code}:apology_due:{cv.id}"]
        )
        assert {m.recipient_ref for m in messages} == {f"official:{cv.id}"}
        assert all("Quá hạn" in m.payload["text"] or "Mẫu 04" in m.payload["text"] for m in messages)

    def test_a_short_step_is_not_reminded_the_moment_it_opens(self, domain: Domain) -> None:
        _, task = assigned_inspection(domain)
        # Opened Friday 13:30, due 17:00 the same day: 3.5 clock hours = 3.73 working hours, under the
        # 4-hour lead; the reminder comes at half the step's time, 15:15.
        set_due(domain, task, due_at=vn(2026, 11, 27, 17, 0), created_at=vn(2026, 11, 27, 13, 30))
        scheduler = domain.scheduler()
        assert run_at(domain, scheduler, vn(2026, 11, 27, 13, 30)) == 0
        assert run_at(domain, scheduler, vn(2026, 11, 27, 15, 14)) == 0
        assert run_at(domain, scheduler, vn(2026, 11, 27, 15, 15)) == 1
        assert notifications(domain) == [("chuyen_vien", "due_soon", task)]


class TestAcrossAHoliday:
    def test_due_soon_before_the_april_30_may_1_holidays(self, domain: Domain) -> None:
        domain.clock.set(vn(2026, 4, 21, 9, 0))
        _, task = assigned_inspection(domain)
        # Due Monday 04/05 09:00; Thursday 30/04 and Friday 01/05 are holidays, then the weekend: the 2.4
        # working hours before Monday's 1.6 fall on Wednesday 29/04, so the reminder is due then at 14:45.
        set_due(domain, task, due_at=vn(2026, 5, 4, 9, 0), created_at=vn(2026, 4, 21, 9, 0))
        scheduler = domain.scheduler()

        def reminded() -> list[tuple[str, str]]:
            return [(user, kind) for user, kind, subject in notifications(domain) if subject == task]

        run_at(domain, scheduler, vn(2026, 4, 29, 14, 44))
        assert reminded() == []
        run_at(domain, scheduler, vn(2026, 4, 29, 14, 45))
        assert reminded() == [("chuyen_vien", "due_soon")]
        for later in (
            vn(2026, 4, 30, 9, 0),
            vn(2026, 5, 1, 14, 0),
            vn(2026, 5, 2, 9, 0),
            vn(2026, 5, 4, 8, 59),
        ):
            run_at(domain, scheduler, later)
        assert reminded() == [("chuyen_vien", "due_soon")]
        run_at(domain, scheduler, vn(2026, 5, 4, 9, 0))
        assert sorted(reminded()) == [
            ("chuyen_vien", "due_soon"),
            ("chuyen_vien", "overdue"),
            ("lanh_dao_phong", "escalation"),
        ]

    def test_apology_due_on_the_working_day_before_an_appointment_after_the_holidays(
        self, domain: Domain
    ) -> None:
        domain.clock.set(vn(2026, 4, 21, 9, 0))
        code = intake(domain)  # still at assignment: no case officer yet
        with session_scope(domain.db) as session:
            row = session.exec(select(Dossier).where(Dossier.code == code)).one()
            row.due_at = vn(2026, 5, 4, 17, 0)  # appointment Monday 04/05, after 30/04, 01/05 and a weekend
            session.add(row)
        scheduler = domain.scheduler()

        def apology() -> list[str]:
            return sorted(user for user, kind, _ in notifications(domain) if kind == "apology_due")

        run_at(domain, scheduler, vn(2026, 4, 29, 7, 29))
        assert apology() == []
        run_at(domain, scheduler, vn(2026, 4, 29, 7, 30))
        # No case officer assigned yet: every case officer of the division is told.
        assert apology() == ["chuyen_vien", "chuyen_vien_2"]
        for later in (vn(2026, 4, 30, 9, 0), vn(2026, 5, 4, 8, 0), vn(2026, 5, 4, 16, 0)):
            run_at(domain, scheduler, later)
        assert apology() == ["chuyen_vien", "chuyen_vien_2"]
