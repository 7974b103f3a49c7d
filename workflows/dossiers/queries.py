"""Read models of dossiers: the row by code (remembered for a session), and for officials the masked
detail, history (the control log), search."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from engine.models import Incident, ProcessDefinition, ProcessInstance, WorkItem
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.db import memo
from workflows.deadlines import service as deadlines
from workflows.dossiers import access, forms
from workflows.dossiers.models import ControlLogEntry, Dossier
from workflows.dossiers.schemas import AgencyShareOut, ApplicantOut, DossierOut, HistoryItem, StepOut
from workflows.dossiers.shares import shares
from workflows.dossiers.statuses import NATIONAL_NAMES, SUB_STATUS_NAMES, SubStatus
from workflows.identity import naming
from workflows.identity.actor import Actor
from workflows.identity.models import Department
from workflows.privacy import mask_id_number, mask_phone
from workflows.procedures.service import get_version


def dossier_by_code(session: Session, code: str) -> Dossier | None:
    """The dossier with this exact code, remembered for the session: in one step the task service and
    each service task (status, notification, form) ask for it."""
    return memo(session, "dossier", code, lambda: session.exec(select(Dossier).where(Dossier.code == code)).first())


def remember_dossier(session: Session, dossier: Dossier) -> Dossier:
    """Keep a dossier read some other way (joined to its work item) for `dossier_by_code` in this session."""
    return memo(session, "dossier", dossier.code, lambda: dossier) or dossier


def lateness(session: Session, *, dossier: Dossier, services: DomainServices, now: datetime) -> str | None:
    """The dossier's lateness class (`deadlines.lateness`); None before its clock started."""
    if dossier.due_at is None:
        return None
    calendar = deadlines.working_calendar(session, calendars=services.calendars, at=now)
    return deadlines.lateness(calendar, now=now, due_at=dossier.due_at, finished_at=dossier.finished_at,
                              counted_late=dossier.counted_late)


def _mask_email(value: str) -> str:
    name, _, domain = value.partition("@")
    return f"{name[:1]}***@{domain}"


def applicant_out(dossier: Dossier, services: DomainServices) -> ApplicantOut:
    """Masked applicant: ID and phone as 0010****1234 / 0912***678; the address is not shown."""
    decrypt = services.cipher.decrypt
    return ApplicantOut(
        kind=dossier.applicant_kind, full_name=dossier.applicant_name,
        id_number=mask_id_number(decrypt(dossier.applicant_id_enc)) if dossier.applicant_id_enc else None,
        phone=mask_phone(decrypt(dossier.applicant_phone_enc)) if dossier.applicant_phone_enc else None,
        email=_mask_email(decrypt(dossier.applicant_email_enc)) if dossier.applicant_email_enc else None,
        address="***" if dossier.applicant_address_enc else None,
    )


def dossier_out(
    session: Session, *, dossier: Dossier, services: DomainServices, now: datetime, actor: Actor | None = None,
) -> DossierOut:
    """The masked detail; reading it is recorded in the audit trail when an official asks."""
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    department = session.get(Department, dossier.department_id)
    items = session.exec(select(WorkItem).where(WorkItem.business_key == dossier.code, WorkItem.state == "open")
                         .order_by(col(WorkItem.created_at))).all()
    incident = session.exec(select(Incident).where(Incident.instance_id == dossier.instance_id,
                                                   col(Incident.resolved_at).is_(None))).first()
    if actor is not None:
        audit.record(session, actor=actor.username, action="dossier.read", at=now, dossier_code=dossier.code)
    status = SubStatus(dossier.status)
    return DossierOut(
        code=dossier.code, procedure_code=dossier.procedure_code, procedure_name=procedure.name,
        department=department.name if department else "", channel=dossier.channel, status=status.value,
        status_name=SUB_STATUS_NAMES[status], national_status=dossier.national_status,
        national_status_name=NATIONAL_NAMES[dossier.national_status], submitted_at=dossier.submitted_at,
        received_at=dossier.accepted_at or dossier.submitted_at, accepted_at=dossier.accepted_at,
        due_at=dossier.due_at, original_due_at=dossier.original_due_at,
        lateness=lateness(session, dossier=dossier, services=services, now=now),
        finished_at=dossier.finished_at, returned_at=dossier.returned_at,
        supplement_count=dossier.supplement_count, counted_late=dossier.counted_late,
        notify_zalo=dossier.notify_zalo, applicant=applicant_out(dossier, services),
        current_steps=[StepOut(task_id=i.id, step=i.element_id, name=i.name or i.element_id, role=i.lane,
                               assignee=i.assignee, assignee_label=_label(session, i.assignee), due_at=i.due_at)
                       for i in items],
        incident={"id": incident.id, "element_id": incident.element_id, "reason": incident.reason}
        if incident else None,
        submitted_on_dvcqg=dossier.submitted_on_dvcqg, vneid_verified=dossier.vneid_verified,
        agency_code=dossier.agency_code, received_agency_code=dossier.received_agency_code,
        agency_name=forms.agency_name(session, code=dossier.agency_code, services=services),
        received_agency_name=forms.agency_name(session, code=dossier.received_agency_code, services=services),
        current_agency_code=dossier.current_agency_code,
        agencies=[AgencyShareOut(**asdict(s)) for s in shares(session, dossier=dossier, steps=procedure.steps,
                                                               services=services)],
        process_key=dossier.process_key, process_version=process_version(session, dossier=dossier),
    )


def _label(session: Session, username: str | None) -> str | None:
    named = naming.describe(session, username=username) if username else None
    return named.label if named else None


def process_version(session: Session, *, dossier: Dossier) -> int | None:
    """The version of the process definition the dossier's instance runs (instances stay on theirs)."""
    if dossier.instance_id is None:
        return None
    return session.exec(select(ProcessDefinition.version).join(
        ProcessInstance, col(ProcessInstance.definition_id) == col(ProcessDefinition.id))
        .where(ProcessInstance.id == dossier.instance_id)).first()


def history(session: Session, *, dossier: Dossier) -> list[HistoryItem]:
    rows = session.exec(select(ControlLogEntry).where(ControlLogEntry.dossier_id == dossier.id)
                        .order_by(col(ControlLogEntry.id))).all()
    return [HistoryItem(step=r.step, step_name=r.step_name, actor=r.from_actor, actor_unit=r.from_unit,
                        to=r.to_unit if not r.to_actor else f"{r.to_actor} ({r.to_unit})", at=r.at,
                        due_at=r.due_at, on_time=r.on_time, note=r.note) for r in rows]


def search(
    session: Session, *, actor: Actor, services: DomainServices, now: datetime, status: str | None = None,
    national_status: int | None = None, procedure_code: str | None = None, overdue: bool | None = None,
    id_number: str | None = None, reason: str | None = None, page: int = 1, page_size: int = 20,
    sort: str = "newest",
) -> tuple[list[DossierOut], int]:
    """Dossiers the actor sees (`access.scope`), newest first (`sort="due_at"`: the earliest appointment
    first, so the longest overdue lead the overdue list); `id_number` matches through the keyed hash."""
    query = select(Dossier).where(access.scope(actor))
    if status:
        query = query.where(Dossier.status == status)
    if national_status:
        query = query.where(Dossier.national_status == national_status)
    if procedure_code:
        query = query.where(Dossier.procedure_code == procedure_code)
    if overdue:
        query = query.where(col(Dossier.finished_at).is_(None), col(Dossier.due_at) < now)
    if id_number:
        query = query.where(Dossier.applicant_id_hash == services.cipher.lookup_hash("id_number", id_number))
        audit.record(session, actor=actor.username, action="dossier.search_by_id", at=now, reason=reason)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = ((col(Dossier.due_at).is_(None), col(Dossier.due_at), col(Dossier.id)) if sort == "due_at"
             else (sa.desc(col(Dossier.submitted_at)), sa.desc(col(Dossier.id))))
    rows = session.exec(query.order_by(*order).offset((page - 1) * page_size).limit(page_size)).all()
    return [dossier_out(session, dossier=d, services=services, now=now) for d in rows], int(total)
