"""A dossier whose appraisal runs late: reminder, overdue, escalation, apology reminder, then the apology
(Mẫu 04) reaches the citizen with the new date and the letter."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from connectors.outbox import OutboxMessage
from tests.scheduler.assembly import Domain
from tests.scheduler.conftest import actor, complete, dossier, intake, notifications, open_item
from workflows.core.clock import ensure_utc, to_local
from workflows.core.db import session_scope
from workflows.deadlines.service import apology_remind_at
from workflows.dossiers import service as dossier_service
from workflows.dossiers.models import Dossier


def test_late_appraisal_reminds_escalates_and_leads_to_the_apology(domain: Domain) -> None:
    code = intake(domain)
    complete(domain, "lanh_dao_phong", code, {"case_officer": "chuyen_vien"})
    complete(
        domain,
        "chuyen_vien",
        code,
        {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"},
    )
    appraisal = open_item(domain, code)
    assert (appraisal.element_id, appraisal.assignee) == ("tham_dinh", "chuyen_vien")
    assert appraisal.due_at is not None  # given by the procedure's step hours
    step_due = ensure_utc(appraisal.due_at)
    appointment = ensure_utc(dossier(domain, code).due_at)  # type: ignore[arg-type]
    scheduler = domain.scheduler()
    with Session(domain.db) as session:
        calendar = domain.services.calendars.get(session, year=2026)

    # Shortly before the appraisal is due: the case officer is reminded.
    domain.clock.set(step_due - timedelta(minutes=30))
    scheduler.run_once("reminders")
    assert ("chuyen_vien", "due_soon", appraisal.id) in notifications(domain)

    # It runs late: overdue to the case officer, escalation to the division head.
    domain.clock.set(step_due + timedelta(minutes=1))
    scheduler.run_once("reminders")
    mine = sorted(n for n in notifications(domain) if n[2] == appraisal.id)
    assert mine == [
        ("chuyen_vien", "due_soon", appraisal.id),
        ("chuyen_vien", "overdue", appraisal.id),
        ("lanh_dao_phong", "escalation", appraisal.id),
    ]

    # The working day before the appointment: the case officer is told an apology (Mẫu 04) is owed.
    domain.clock.set(max(apology_remind_at(calendar, appointment), domain.clock.now()) + timedelta(minutes=1))
    assert domain.clock.now() < appointment
    scheduler.run_once("reminders")
    assert [n for n in notifications(domain) if n[1] == "apology_due"] == [
        ("chuyen_vien", "apology_due", code)
    ]

    # The apology: a new appointment, the letter, and the citizen's message carrying both.
    new_due = appointment + timedelta(days=3)
    with session_scope(domain.db) as session:
        row = session.exec(select(Dossier).where(Dossier.code == code)).one()
        dossier_service.apologise(
            session,
            services=domain.services,
            dossier=row,
            actor=actor(session, "chuyen_vien"),
            reason="Cần thêm thời gian kiểm tra điều kiện phòng cháy, chữa cháy",
            new_due_at=new_due,
        )
    with Session(domain.db) as session:
        message = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.subject_ref == code)
            .order_by(col(OutboxMessage.id).desc())
        ).first()
    assert message is not None and message.payload["event"] == "XIN_LOI"
    assert message.payload["attachment"] is not None
    assert message.payload["attachment"]["filename"].lower().endswith(".pdf")
    assert to_local(new_due).strftime("%d/%m/%Y") in message.payload["text"]
    assert dossier(domain, code).apology_count == 1

    # Nothing is sent twice, and the new appointment brings no second apology reminder.
    before = notifications(domain)
    domain.clock.set(new_due - timedelta(hours=1))
    scheduler.run_once("reminders")
    assert notifications(domain) == before
