"""A timer of a feedback case is followed by the feedback process's after-step hook, as any other step of it
(the scheduler fires timers through `workflows.process`, which knows no domain)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from engine.models import WorkItem
from tests.scheduler.assembly import Domain
from workflows.core.clock import ensure_utc
from workflows.core.db import session_scope
from workflows.deadlines import service as deadlines
from workflows.feedback import service as feedback
from workflows.feedback.schemas import FeedbackIn
from workflows.seed import deploy_paths

ESCALATING = Path(__file__).resolve().parent / "bpmn" / "pakn_nhac_han_chuyen_lanh_dao.bpmn"


def test_a_task_a_timer_opens_gets_its_due_time_from_feedback_step_hours(domain: Domain) -> None:
    with session_scope(domain.db) as session:
        deploy_paths(session, engine=domain.engine, paths=[ESCALATING])
        case = feedback.submit(
            session, engine=domain.engine, services=domain.services, channel="web", actor="public:test",
            body=FeedbackIn(category="khac", content="Phòng một cửa không có chỗ ngồi chờ.",
                            contact_phone="0912345678"),
        )
        code = case.code

    domain.clock.advance(timedelta(days=20))  # past the reminder time (8 working days after receipt)
    assert domain.scheduler().run_once("timers") == 1

    now = domain.clock.now()
    with Session(domain.db) as session:
        item = session.exec(select(WorkItem).where(WorkItem.business_key == code, WorkItem.state == "open")).one()
        calendar = deadlines.working_calendar(session, calendars=domain.services.calendars, at=now)
        expected = deadlines.step_due_at(calendar, start=now, hours=feedback.STEP_HOURS["phan_cong_pakn"])
    assert item.element_id == "phan_cong_pakn"
    assert item.due_at is not None and ensure_utc(item.due_at) == expected
