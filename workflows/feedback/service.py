"""Feedback cases (phản ánh, kiến nghị) from the web page and Zalo, each run by the BPMN process
`phan_anh_kien_nghi`: the one-stop desk receives and classifies (MOT_CUA), the division head assigns
(LANH_DAO_PHONG), a case officer answers (CHUYEN_VIEN); the answer goes back to the citizen on Zalo.

Deadline: FEEDBACK_WORKING_DAYS (10) working days from receipt — the time the provinces' "hệ thống tiếp
nhận, trả lời phản ánh, kiến nghị" give for an answer (and the period NĐ 20/2008/NĐ-CP sets for handling
feedback on administrative regulations); the answering officer is reminded REMIND_BEFORE_DAYS before.
The numbers are the feedback domain's; the due times are computed by `workflows.deadlines.service`. The
process moves through `workflows.process`, which runs `after_step` (this module) after each engine step of
the feedback process, timers included. Functions flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from engine import Engine, validate_form
from engine.models import WorkItem
from workflows import audit
from workflows.collaborators import DomainServices, Step
from workflows.core.clock import ensure_utc, to_local
from workflows.core.errors import Conflict, NotFound, ValidationFailed
from workflows.deadlines import service as deadlines
from workflows.dossiers.access import SUPERVISOR_ROLES
from workflows.dossiers.codes import new_code
from workflows.dossiers.models import Dossier
from workflows.feedback import attachments
from workflows.feedback.models import FeedbackCase
from workflows.feedback.schemas import FEEDBACK_CATEGORIES, FeedbackIn, FeedbackOut
from workflows.identity.actor import Actor
from workflows.identity.models import Department, Official
from workflows.privacy import InvalidPersonalData, mask_phone, normalize_phone
from workflows.procedures.spec import TimeUnit
from workflows.process import service as process

PROCESS_KEY = "phan_anh_kien_nghi"
FEEDBACK_WORKING_DAYS = 10
REMIND_BEFORE_DAYS = 2
CODE_TEMPLATE = "PAKN-{yymmdd}-{seq:04d}"
CODE_SEQUENCE = "PAKN"  # its own daily sequence in the dossier-code table
# Working hours each step may take (deadlines.give_due_times); the answer step runs to the case's deadline.
STEP_HOURS = {"tiep_nhan_pakn": 4.0, "phan_cong_pakn": 8.0}

STATUS_NAMES = {
    "MOI": "Mới tiếp nhận",
    "CHO_PHAN_CONG": "Chờ phân công xử lý",
    "DANG_XU_LY": "Đang xử lý",
    "DA_TRA_LOI": "Đã trả lời",
}


def _default_department(session: Session) -> Department:
    department = session.exec(select(Department).order_by(col(Department.id))).first()
    if department is None:
        raise Conflict("Chưa cấu hình phòng tiếp nhận phản ánh.", code="no_department")
    return department


def submit(
    session: Session,
    *,
    engine: Engine,
    services: DomainServices,
    body: FeedbackIn,
    channel: str,
    actor: str,
    zalo_user_id: str | None = None,
) -> FeedbackCase:
    """Register the case, give it its code and deadline, start its process (`process.start`: reception is the
    first task, given its due time by `after_step`). A web submission needs a contact phone (the answer is
    sent to it on Zalo); from Zalo, the account. `actor` names the citizen's channel in the audit trail."""
    now = services.clock.now()
    phone = None
    if body.contact_phone:
        try:
            phone = normalize_phone(body.contact_phone)
        except InvalidPersonalData as exc:
            raise exc.on("contact_phone", "Số điện thoại liên hệ") from None
    elif channel == "web":
        raise ValidationFailed(
            "Vui lòng để lại số điện thoại (Zalo) để nhận trả lời.",
            errors=[{"field": "contact_phone", "message": "Số điện thoại liên hệ: cần có để nhận trả lời."}],
        )
    dossier = None
    if body.dossier_code:
        dossier = session.exec(
            select(Dossier).where(Dossier.code == body.dossier_code.strip().upper())
        ).first()
    department_id = dossier.department_id if dossier else _default_department(session).id
    calendar = deadlines.working_calendar(session, calendars=services.calendars, at=now)
    due_at = deadlines.appointment_at(calendar, received_at=now, value=FEEDBACK_WORKING_DAYS,
                                      unit=TimeUnit.WORKING_DAYS)
    remind_at = deadlines.appointment_at(calendar, received_at=now,
                                         value=FEEDBACK_WORKING_DAYS - REMIND_BEFORE_DAYS, unit=TimeUnit.WORKING_DAYS)
    code = new_code(session, template=CODE_TEMPLATE, agency_code=CODE_SEQUENCE, day=to_local(now).date())
    case = FeedbackCase(
        code=code,
        category=body.category,
        content=body.content,
        channel=channel,
        status="MOI",
        dossier_code=dossier.code if dossier else (body.dossier_code or "").strip().upper() or None,
        contact_name=body.contact_name or None,
        zalo_user_id=zalo_user_id,
        contact_phone_enc=services.cipher.encrypt(phone) if phone else None,
        contact_phone_hash=services.cipher.lookup_hash("phone", phone) if phone else None,
        department_id=department_id or 0,
        due_at=due_at,
        created_at=now,
    )
    session.add(case)
    session.flush()
    result = process.start(
        session,
        engine=engine,
        services=services,
        actor=Actor(username=actor, display_name=actor, kind="citizen"),
        process_key=PROCESS_KEY,
        business_key=code,
        data={
            "feedback_code": code,
            "phan_loai": body.category,
            "han_tra_loi": to_local(due_at).isoformat(),
            "nhac_han_luc": to_local(remind_at).isoformat(),
        },
    )
    case.instance_id = result.instance_id
    audit.record(
        session,
        actor=actor,
        action="feedback.submit",
        at=now,
        dossier_code=case.dossier_code,
        data={"feedback": code, "channel": channel, "category": body.category},
    )
    session.flush()
    return case


def after_step(session: Session, *, step: Step, services: DomainServices) -> None:
    """The feedback process's after-step hook (`workflows.process` runs it; `workflows.wiring.after_step_hooks`
    registers it for PROCESS_KEY): the work items the step opened get their due times, STEP_HOURS working
    hours for the desk's and the head's steps, the case's deadline for the others (the answer)."""
    case = session.exec(select(FeedbackCase).where(FeedbackCase.code == step.result.business_key)).first()
    if case is None:
        return
    deadlines.give_due_times(
        session, calendar=deadlines.working_calendar(session, calendars=services.calendars, at=step.now),
        opened=step.result.opened, hours=STEP_HOURS, start=step.now, otherwise=case.due_at)


def get_case(session: Session, *, code: str, actor: Actor) -> FeedbackCase:
    """The case when it belongs to the actor's department (or the actor supervises); 404 otherwise."""
    case = session.exec(select(FeedbackCase).where(FeedbackCase.code == code.strip().upper())).first()
    if case is None or not (
        actor.kind == "system"
        or actor.department_id == case.department_id
        or actor.has_role(*SUPERVISOR_ROLES)
    ):
        raise NotFound("Không tìm thấy phản ánh, kiến nghị.", code="feedback_not_found")
    return case


def open_items(session: Session, *, case: FeedbackCase) -> list[WorkItem]:
    return list(
        session.exec(
            select(WorkItem)
            .where(WorkItem.business_key == case.code, WorkItem.state == "open")
            .order_by(col(WorkItem.created_at))
        ).all()
    )


def case_out(session: Session, *, case: FeedbackCase, services: DomainServices) -> FeedbackOut:
    """The case for officials; the contact phone masked."""
    phone = services.cipher.decrypt(case.contact_phone_enc) if case.contact_phone_enc else None
    attached, location = attachments.attachments_out(session, case=case, cipher=services.cipher)
    return FeedbackOut(
        code=case.code,
        category=case.category,
        category_name=FEEDBACK_CATEGORIES.get(case.category, case.category),
        content=case.content,
        dossier_code=case.dossier_code,
        contact_name=case.contact_name,
        contact_phone=mask_phone(phone) if phone else None,
        channel=case.channel,
        status=case.status,
        status_name=STATUS_NAMES.get(case.status, case.status),
        department_id=case.department_id,
        assignee=case.assignee,
        answer=case.answer,
        due_at=ensure_utc(case.due_at),
        created_at=ensure_utc(case.created_at),
        answered_at=ensure_utc(case.answered_at) if case.answered_at else None,
        open_tasks=[
            {
                "id": i.id,
                "step": i.element_id,
                "name": i.title or i.name,
                "role": i.lane,
                "assignee": i.assignee,
                "due_at": ensure_utc(i.due_at).isoformat() if i.due_at else None,
            }
            for i in open_items(session, case=case)
        ],
        attachments=attached,
        location=location,
    )


def list_cases(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    limit: int = 100,
) -> list[FeedbackCase]:
    """Cases of the actor's department (all for supervisors), soonest deadline first."""
    query = select(FeedbackCase)
    if not actor.has_role(*SUPERVISOR_ROLES):
        query = query.where(FeedbackCase.department_id == actor.department_id)
    if status:
        query = query.where(FeedbackCase.status == status)
    return list(
        session.exec(query.order_by(col(FeedbackCase.due_at), col(FeedbackCase.id)).limit(limit)).all()
    )


def complete_task(
    session: Session,
    *,
    engine: Engine,
    services: DomainServices,
    actor: Actor,
    code: str,
    task_id: str,
    data: dict[str, Any],
) -> FeedbackCase:
    """Complete an open task of the case as `actor` (lane role in the case's department, or its assignee):
    `process.complete` runs the engine to the next wait and `after_step` (due times of the next tasks)."""
    case = get_case(session, code=code, actor=actor)
    item = session.get(WorkItem, task_id)
    if item is None or item.business_key != case.code:
        raise NotFound("Không tìm thấy công việc.", code="task_not_found")
    if item.state != "open":
        raise Conflict("Công việc đã được hoàn thành hoặc không còn mở.", code="task_already_completed")
    if actor.department_id != case.department_id or not (
        item.assignee == actor.username if item.assignee else actor.has_role(item.lane or "")
    ):
        raise NotFound("Không tìm thấy công việc.", code="task_not_found")
    validate_form(item.form_schema, data)  # the form's own rules first: their messages are the most precise
    _check_rules(session, case=case, step=item.element_id, data=data)
    now = services.clock.now()
    process.complete(session, engine=engine, services=services, actor=actor, work_item_id=task_id, data=data)
    session.refresh(case)  # the service tasks changed its status, assignee or answer
    audit.record(
        session,
        actor=actor.username,
        action="feedback.task_complete",
        at=now,
        dossier_code=case.dossier_code,
        data={"feedback": case.code, "task": item.element_id},
    )
    session.flush()
    return case


def _check_rules(session: Session, *, case: FeedbackCase, step: str, data: dict[str, Any]) -> None:
    code = data.get("phong_xu_ly")
    if step == "tiep_nhan_pakn" and code:
        department = session.exec(select(Department).where(Department.code == code)).first()
        if department is None:
            raise ValidationFailed(errors=[{"field": "phong_xu_ly", "message": "Mã phòng xử lý: không có phòng này."}])
    if step == "phan_cong_pakn":
        officer = session.exec(select(Official).where(Official.username == data.get("chuyen_vien"))).first()
        if (
            officer is None
            or officer.disabled
            or officer.department_id != case.department_id
            or "CHUYEN_VIEN" not in officer.roles
        ):
            raise ValidationFailed(
                errors=[
                    {
                        "field": "chuyen_vien",
                        "message": "Chuyên viên xử lý: phải là chuyên viên đang hoạt động của phòng.",
                    }
                ]
            )


def cases_of_zalo_user(session: Session, *, zalo_user_id: str, limit: int = 5) -> list[FeedbackCase]:
    return list(
        session.exec(
            select(FeedbackCase)
            .where(FeedbackCase.zalo_user_id == zalo_user_id)
            .order_by(col(FeedbackCase.id).desc())
            .limit(limit)
        ).all()
    )
