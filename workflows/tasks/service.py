"""Officials' task list (Camunda-like): list by scope, claim, unclaim, complete through the process façade
(`workflows.process`); counter intake's acceptance is a completion too (`accept_at_counter`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from engine import Engine, validate_form
from engine.models import WorkItem
from workflows import audit
from workflows.agencies.models import Agency
from workflows.calendar import WorkingCalendar
from workflows.collaborators import DomainServices
from workflows.core.clock import VnDateTime
from workflows.core.errors import Conflict, NotFound, ValidationFailed
from workflows.deadlines import service as deadlines
from workflows.dossiers import access, forms
from workflows.dossiers.access import SUPERVISOR_ROLES, ensure_can_see, ensure_can_work
from workflows.dossiers.models import Dossier
from workflows.dossiers.queries import remember_dossier
from workflows.dossiers.service import open_items
from workflows.dossiers.statuses import SUB_STATUS_NAMES, SubStatus
from workflows.identity.actor import Actor
from workflows.identity.models import Department, Official
from workflows.identity.naming import describe_official
from workflows.procedures.service import get_version
from workflows.process import service as process
from workflows.tasks import handover
from workflows.tasks.schemas import CompleteOut, TaskCount, TaskCounts, TaskOut

Scope = Literal["mine", "candidate", "all"]


# Due soon as the reminders count it (`reminders.jobs.ReminderPolicy.due_soon_hours`: half a working day).
DUE_SOON_HOURS = 4.0


def to_out(item: WorkItem, dossier: Dossier, *, now: datetime, calendar: WorkingCalendar | None = None,
           procedure_name: str = "", handover_note: str | None = None) -> TaskOut:
    """The work item as the API shows it; with a `calendar`, `due_soon` is computed; `handover_note` is how
    the caller holds it by a hand-over (`handover.notes`)."""
    due_soon = bool(calendar and item.due_at and deadlines.is_due_soon(
        calendar, now=now, due_at=item.due_at, created_at=item.created_at, due_soon_hours=DUE_SOON_HOURS))
    status = SubStatus(dossier.status)
    return TaskOut(
        id=item.id, step=item.element_id, name=item.name or item.element_id, title=item.title or item.name or "",
        dossier_code=dossier.code, procedure_code=dossier.procedure_code, role=item.lane, assignee=item.assignee,
        created_at=item.created_at, due_at=item.due_at, overdue=item.due_at is not None and item.due_at < now,
        form_schema=item.form_schema, due_soon=due_soon, procedure_name=procedure_name,
        dossier_status=status.value, dossier_status_name=SUB_STATUS_NAMES[status],
        applicant_name=dossier.applicant_name, dossier_due_at=dossier.due_at, handover=handover_note,
    )


def _visible(
    actor: Actor, *, now: datetime, scope: Scope, procedure_code: str | None, status: str | None,
    due_before: VnDateTime | None, overdue: bool | None, delegators: list[str] | None = None,
) -> tuple[list[Any], list[Any]]:
    """Conditions on the work item, then on its dossier, for the open items `scope` shows the actor under
    the filters; `delegators` (whose active delegation the actor holds) count as the actor's own."""
    items: list[Any] = [WorkItem.state == "open"]
    roles = list(actor.roles)
    holders = [actor.username, *(delegators or [])]
    held = WorkItem.assignee == actor.username if len(holders) == 1 else col(WorkItem.assignee).in_(holders)
    if scope == "mine":
        items.append(held)
    elif scope == "candidate":
        items += [col(WorkItem.assignee).is_(None), col(WorkItem.lane).in_(roles)]
    elif not actor.has_role(*SUPERVISOR_ROLES):
        items.append(sa.or_(held, col(WorkItem.lane).in_(roles)))
    if due_before:
        items.append(col(WorkItem.due_at) < due_before)
    if overdue is True:
        items.append(col(WorkItem.due_at) < now)
    elif overdue is False:
        items.append(sa.or_(col(WorkItem.due_at).is_(None), col(WorkItem.due_at) >= now))
    # Items where the actor works (their lane's unit of the dossier), or everything they see as a supervisor.
    dossiers = [access.scope(actor) if scope == "all" and actor.has_role(*SUPERVISOR_ROLES)
                else sa.or_(held, access.lane_scope(actor, col(WorkItem.lane)))]
    if procedure_code:
        dossiers.append(Dossier.procedure_code == procedure_code)
    if status:
        dossiers.append(Dossier.status == status)
    return items, dossiers


def list_tasks(
    session: Session, *, actor: Actor, now: datetime, scope: Scope = "mine", procedure_code: str | None = None,
    status: str | None = None, due_before: VnDateTime | None = None, overdue: bool | None = None, page: int = 1,
    page_size: int = 20, services: DomainServices | None = None,
) -> tuple[list[TaskOut], int]:
    """Open work items of the actor's department visible under `scope`, soonest due first; `status` narrows
    to dossiers in that sub-status. With `services`, each item says whether it is due soon. The tasks of
    whoever delegated to the actor (an active delegation) are the actor's too, marked as such."""
    delegations = handover.active_for_delegate(session, username=actor.username, today=handover.local_day(now))
    items, dossiers = _visible(actor, now=now, scope=scope, procedure_code=procedure_code, status=status,
                               due_before=due_before, overdue=overdue, delegators=[d.delegator for d in delegations])
    query = (select(WorkItem, Dossier).join(Dossier, col(Dossier.code) == col(WorkItem.business_key))
             .where(*items, *dossiers))
    if scope == "mine" and not procedure_code and not status:
        # An official's own tasks are all in their department (assignment and claim check it; officials do
        # not change department), so the total needs no join: an index-only count on (assignee, state),
        # where joining thousands of items to their dossiers cost ~40 ms at a million dossiers.
        total = session.exec(select(func.count()).select_from(WorkItem).where(*items)).one()
    else:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        # NULLS LAST matches the (assignee|lane, state, due_at) indexes' order on PostgreSQL.
        query.order_by(col(WorkItem.due_at).asc().nulls_last(), col(WorkItem.created_at))
        .offset((page - 1) * page_size).limit(page_size)
    ).all()
    calendar = deadlines.working_calendar(session, calendars=services.calendars, at=now) if services else None
    marks = handover.notes(session, actor=actor, items=[item for item, _ in rows], now=now, delegations=delegations)
    return [to_out(item, dossier, now=now, calendar=calendar, handover_note=marks.get(item.id),
                   procedure_name=get_version(session, version_id=dossier.procedure_version_id).name)
            for item, dossier in rows], int(total)


def _delegators(session: Session, actor: Actor, now: datetime) -> list[str]:
    return [d.delegator for d in handover.active_for_delegate(session, username=actor.username,
                                                               today=handover.local_day(now))]


def counts(
    session: Session, *, actor: Actor, now: datetime, procedure_code: str | None = None, status: str | None = None,
) -> TaskCounts:
    """How many open items each inbox tab holds, and how many of them are overdue, under the filters."""
    tally: dict[str, TaskCount] = {}
    delegators = _delegators(session, actor, now)
    for scope in ("mine", "candidate", "all"):
        items, dossiers = _visible(actor, now=now, scope=scope, procedure_code=procedure_code, status=status,
                                   due_before=None, overdue=None, delegators=delegators)
        late = func.sum(sa.case((col(WorkItem.due_at) < now, 1), else_=0))
        total, overdue = session.exec(
            select(func.count(), late).select_from(WorkItem)
            .join(Dossier, col(Dossier.code) == col(WorkItem.business_key)).where(*items, *dossiers)).one()
        tally[scope] = TaskCount(total=int(total), overdue=int(overdue or 0))
    return TaskCounts(**tally)


def _load(session: Session, task_id: str) -> tuple[WorkItem, Dossier]:
    """The work item and its dossier (remembered for the step, `dossier_by_code`), with the dossier's
    receiving agency (remembered for `forms.agency`: a completion's sync record names it): one query."""
    row = session.exec(select(WorkItem, Dossier, Agency).join(Dossier, col(Dossier.code) == WorkItem.business_key)
                       .outerjoin(Agency, col(Agency.code) == Dossier.received_agency_code)
                       .where(WorkItem.id == task_id)).first()
    if row is None:
        raise NotFound("Không tìm thấy công việc.", code="task_not_found")
    item, dossier, agency = row
    if agency is not None:
        forms.remember_agency(session, agency)
    return item, remember_dossier(session, dossier)


def get_task(session: Session, *, actor: Actor, task_id: str, now: datetime) -> TaskOut:
    """One work item; the division head's choice of case officer comes with the division's active case
    officers as the field's choices (`oneOf`, each named by full name and title), so no login is guessed."""
    item, dossier = _load(session, task_id)
    ensure_can_see(actor, dossier)
    out = to_out(item, dossier, now=now, handover_note=handover.notes(session, actor=actor, items=[item],
                                                                     now=now).get(item.id),
                 procedure_name=get_version(session, version_id=dossier.procedure_version_id).name)
    schema = out.form_schema or {}
    field = (schema.get("properties") or {}).get(CASE_OFFICER)
    if item.element_id == "phan_cong" and isinstance(field, dict):
        choices = [{"const": o.username, "title": _named(session, o)}
                   for o in case_officers(session, department_id=dossier.department_id)]
        out.form_schema = {**schema, "properties": {**schema["properties"], CASE_OFFICER: {**field, "oneOf": choices}}}
    return out


CASE_OFFICER = "case_officer"


def case_officers(session: Session, *, department_id: int) -> list[Official]:
    """The active case officers (CHUYEN_VIEN) of a department, by name: who `phan_cong` may assign."""
    rows = session.exec(select(Official).where(Official.department_id == department_id,
                                               col(Official.disabled).is_(False))
                        .order_by(col(Official.full_name))).all()
    return [o for o in rows if "CHUYEN_VIEN" in o.roles]


def _named(session: Session, official: Official) -> str:
    department = session.get(Department, official.department_id)
    position = describe_official(official, department).position if department else ""
    return f"{official.full_name}, {position}" if position else official.full_name


def claim(session: Session, *, actor: Actor, task_id: str, now: datetime) -> TaskOut:
    item, dossier = _load(session, task_id)
    ensure_can_see(actor, dossier)  # first: another department must not learn the task's state (404)
    if item.state != "open":
        raise Conflict("Công việc đã được hoàn thành.", code="task_already_completed")
    if item.assignee is not None and item.assignee != actor.username:
        raise Conflict("Công việc đã được cán bộ khác nhận.", code="task_already_claimed")
    ensure_can_work(actor, dossier=dossier, lane=item.lane, assignee=None)
    item.assignee = actor.username
    session.add(item)
    audit.record(session, actor=actor.username, action="task.claim", at=now, dossier_code=dossier.code,
                 data={"task": item.element_id})
    return to_out(item, dossier, now=now)


def unclaim(session: Session, *, actor: Actor, task_id: str, now: datetime) -> TaskOut:
    item, dossier = _load(session, task_id)
    ensure_can_see(actor, dossier)
    if item.state != "open":
        raise Conflict("Công việc đã được hoàn thành.", code="task_already_completed")
    if item.assignee != actor.username and not actor.has_role("LANH_DAO_PHONG"):
        raise Conflict("Chỉ người đã nhận công việc mới trả lại được.", code="task_not_claimed_by_you")
    item.assignee = None
    session.add(item)
    audit.record(session, actor=actor.username, action="task.unclaim", at=now, dossier_code=dossier.code,
                 data={"task": item.element_id})
    return to_out(item, dossier, now=now)


def complete(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, task_id: str,
    data: dict[str, Any], expected_version: int | None = None,
) -> CompleteOut:
    """Complete a work item with form data: checked against role, department and domain rules, then
    `process.complete` runs the engine to the next wait and the dossiers' after-step hook
    (`dossiers.progress.after_step`: due times of the next items, the control-log row) in the same
    transaction; the audit entry last. A delegate completes the delegator's task as themself, with the role
    of its lane where the lane works (`handover.covering`); the audit entry says for whom."""
    now = services.clock.now()
    item, dossier = _load(session, task_id)
    delegation = handover.covering(session, actor=actor, assignee=item.assignee, now=now)
    ensure_can_work(actor, dossier=dossier, lane=item.lane, assignee=None if delegation else item.assignee)
    if item.state != "open":
        raise Conflict("Công việc đã được hoàn thành hoặc không còn mở.", code="task_already_completed")
    validate_form(item.form_schema, data)  # the form's own rules first: their messages are the most precise
    _check_domain_rules(session, dossier=dossier, step=item.element_id, data=data)
    result = process.complete(session, engine=engine, services=services, actor=actor, work_item_id=task_id,
                              data=data, expected_version=expected_version)
    audit.record(session, actor=actor.username, action="task.complete", at=now, dossier_code=dossier.code,
                 data={"task": item.element_id, "decision": data.get("quyet_dinh"),
                       **({"on_behalf_of": delegation.delegator} if delegation else {})})
    session.flush()
    next_items = [session.get(WorkItem, o.id) for o in result.opened]
    return CompleteOut(
        dossier_code=dossier.code, status=dossier.status, national_status=dossier.national_status,
        process_status=result.status,
        next_tasks=[to_out(i, dossier, now=now) for i in next_items if i is not None],
    )


def accept_at_counter(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, dossier: Dossier,
) -> Dossier:
    """Counter intake by a clerk who checked the dossier on the spot: complete reception as accepted."""
    item = next((i for i in open_items(session, dossier=dossier) if i.element_id == "tiep_nhan"), None)
    if item is None:
        raise Conflict("Hồ sơ không ở bước tiếp nhận.", code="not_at_reception")
    complete(session, engine=engine, services=services, actor=actor, task_id=item.id,
             data={"quyet_dinh": "tiep_nhan"})
    session.refresh(dossier)
    return dossier


def _check_domain_rules(session: Session, *, dossier: Dossier, step: str, data: dict[str, Any]) -> None:
    decision = data.get("quyet_dinh")
    if decision in ("bo_sung", "tu_choi") and not str(data.get("ly_do") or "").strip():
        raise ValidationFailed(errors=[{"field": "ly_do", "message": "Lý do: cần nêu rõ lý do."}])
    if step == "phan_cong":
        officer = session.exec(select(Official).where(Official.username == data.get("case_officer"))).first()
        if (officer is None or officer.disabled or officer.department_id != dossier.department_id
                or "CHUYEN_VIEN" not in officer.roles):
            raise ValidationFailed(errors=[{
                "field": "case_officer",
                "message": "Chuyên viên thụ lý: phải là chuyên viên đang hoạt động của phòng."}])
    if step == "tham_dinh" and decision == "bo_sung" and dossier.supplement_count >= 1:
        reason = str(data.get("ly_do_bo_sung_lan_2") or "").strip()
        if len(reason) < 5:
            raise ValidationFailed(
                "Hồ sơ đã yêu cầu bổ sung một lần; lần thứ hai cần lý do và hồ sơ sẽ bị tính quá hạn.",
                errors=[{"field": "ly_do_bo_sung_lan_2",
                         "message": "Lý do yêu cầu bổ sung lần thứ hai: cần nêu rõ (ít nhất 5 ký tự)."}])
        dossier.supplement_override_reason = reason
        session.add(dossier)
