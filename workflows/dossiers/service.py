"""Dossier use cases: intake, reading (masked, audited reveal), search, withdrawal, apology, officials'
messages. The process moves through `workflows.process` (which runs `progress.after_step` after each engine
step). Functions flush, never commit: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, select

from engine import Engine
from engine.models import WorkItem
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import ensure_utc, to_local
from workflows.core.errors import Conflict, NotFound, ValidationFailed
from workflows.core.field_errors import label
from workflows.core.text import search_key
from workflows.dossiers import control_log, fees, messages, progress, routing, transitions
from workflows.dossiers.access import Action, ensure_can_see, ensure_may
from workflows.dossiers.codes import new_code
from workflows.dossiers.forms import issue_form
from workflows.dossiers.models import Dossier
from workflows.dossiers.schemas import DossierCreate
from workflows.dossiers.statuses import NATIONAL, TERMINAL, SubStatus
from workflows.identity.actor import Actor
from workflows.identity.models import Department
from workflows.privacy import InvalidPersonalData, normalize_id_number, normalize_phone
from workflows.procedures.models import ProcedureVersion
from workflows.procedures.service import current
from workflows.process import service as process


def _department_for(session: Session, *, actor: Actor, body: DossierCreate) -> Department:
    if actor.department_id is not None:
        department = session.get(Department, actor.department_id)
    elif body.department_code:
        department = session.exec(select(Department).where(Department.code == body.department_code)).first()
    else:
        raise ValidationFailed(errors=[{"field": "department_code",
                                        "message": "Mã phòng tiếp nhận: bắt buộc với khóa API không gắn với phòng."}])
    if department is None:
        raise ValidationFailed(errors=[{"field": "department_code",
                                        "message": "Mã phòng tiếp nhận: không có phòng này."}])
    return department


def _personal(normalize: Callable[[str], str], value: str | None, field: str) -> str | None:
    """`value` normalised, or None; a refusal is reported on `field` of the request, by its label."""
    if not value:
        return None
    try:
        return normalize(value)
    except InvalidPersonalData as exc:
        raise exc.on(field, label(field.split("."))) from None


def intake(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, body: DossierCreate,
) -> Dossier:
    """Register a dossier, give it its code and start its process (`process.start`: reception is the first
    work item, given its due time by the dossiers' after-step hook)."""
    now = services.clock.now()
    procedure = current(session, code=body.procedure_code)
    desk = _department_for(session, actor=actor, body=body)
    route = routing.route(session, procedure=procedure, desk=desk, chosen_agency=body.competent_agency_code)
    cipher = services.cipher
    a = body.applicant
    id_number = _personal(normalize_id_number, a.id_number, "applicant.id_number")
    phone = _personal(normalize_phone, a.phone, "applicant.phone")
    if body.notify_zalo and phone is None:
        raise ValidationFailed(errors=[{"field": "applicant.phone",
                                        "message": "Số điện thoại của người nộp: cần có để nhận thông báo qua Zalo."}])
    code = new_code(session, template=services.settings.dossier_code_format,
                    agency_code=route.received_agency_code, day=to_local(now).date())
    dossier = Dossier(
        code=code, agency_code=route.agency_code, department_id=route.department.id or 0,
        received_agency_code=route.received_agency_code, received_department_id=route.received_department.id or 0,
        current_agency_code=route.received_agency_code,
        procedure_version_id=procedure.id or 0, procedure_code=procedure.code, process_key=procedure.process_key,
        channel=body.channel, status=transitions.INITIAL.value, national_status=NATIONAL[transitions.INITIAL],
        applicant_kind=a.kind, applicant_name=a.full_name.strip(), applicant_name_search=search_key(a.full_name),
        applicant_id_enc=cipher.encrypt(id_number) if id_number else None,
        applicant_id_hash=cipher.lookup_hash("id_number", id_number) if id_number else None,
        applicant_phone_enc=cipher.encrypt(phone) if phone else None,
        applicant_phone_hash=cipher.lookup_hash("phone", phone) if phone else None,
        applicant_email_enc=cipher.encrypt(a.email) if a.email else None,
        applicant_address_enc=cipher.encrypt(a.address) if a.address else None,
        representative_enc=cipher.encrypt(body.representative.model_dump_json()) if body.representative else None,
        documents=[d.model_dump() for d in body.documents], notify_zalo=body.notify_zalo,
        result_delivery=body.result_delivery,
        intake_facts=fees.check_facts(procedure.intake_fields or [], body.facts) or None,
        zalo_consent_at=now if body.notify_zalo else None, submitted_at=now, created_by=actor.username,
        created_at=now, updated_at=now,
    )
    start(session, engine=engine, services=services, actor=actor, dossier=dossier, procedure=procedure, now=now)
    return dossier


def start(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, dossier: Dossier,
    procedure: ProcedureVersion, now: datetime, audit_data: dict[str, object] | None = None,
) -> None:
    """Store the new `dossier` and start its process at reception (national status 1), as every intake does
    (at the desk, or online: `dossiers/online.py`); an online dossier tells its applicant "Nộp hồ sơ"."""
    session.add(dossier)
    session.flush()
    code, channel = dossier.code, dossier.channel
    result = process.start(
        session, engine=engine, services=services, actor=actor, process_key=procedure.process_key,
        business_key=code, data={
            "dossier_code": code, "procedure_code": procedure.code, "channel": channel,
            "has_financial_obligation": procedure.has_financial_obligation,
            "requires_site_inspection": procedure.requires_site_inspection,
        })
    dossier.instance_id = result.instance_id
    session.add(dossier)
    progress.log_submission(session, dossier=dossier, result=result, now=now)
    if channel == "online":
        messages.notify_event(session, dossier=dossier, event="NOP_HO_SO", services=services, now=now)
    audit.record(session, actor=actor.username, action="dossier.intake", at=now, dossier_code=code,
                 data={"procedure": procedure.code, "channel": channel, **(audit_data or {})})
    session.flush()


def get_by_code(session: Session, *, code: str, actor: Actor, action: Action = Action.VIEW) -> Dossier:
    """The dossier `code` if `actor` may do `action` to it: 404 outside the actor's department (first, so
    that a 403 never confirms another department's dossier exists), then 403 for a role without it."""
    dossier = session.exec(select(Dossier).where(Dossier.code == code.strip().upper())).first()
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")
    ensure_can_see(actor, dossier)
    ensure_may(actor, action)
    return dossier


def open_items(session: Session, *, dossier: Dossier) -> list[WorkItem]:
    return list(session.exec(select(WorkItem).where(WorkItem.business_key == dossier.code,
                                                    WorkItem.state == "open")).all())


def reveal(
    session: Session, *, dossier: Dossier, actor: Actor, reason: str, fields: list[str],
    services: DomainServices,
) -> dict[str, str | None]:
    """Full personal data for a stated reason; the read is audited (who, what, why)."""
    ensure_may(actor, Action.REVEAL)
    columns = {"id_number": dossier.applicant_id_enc, "phone": dossier.applicant_phone_enc,
               "email": dossier.applicant_email_enc, "address": dossier.applicant_address_enc}
    values = {f: services.cipher.decrypt(columns[f]) if columns[f] else None for f in fields}
    audit.record(session, actor=actor.username, action="personal_data.reveal", at=services.clock.now(),
                 dossier_code=dossier.code, reason=reason, data={"fields": fields})
    return values


def withdraw(
    session: Session, *, engine: Engine, services: DomainServices, dossier: Dossier, actor: Actor, reason: str,
) -> Dossier:
    """The citizen withdraws (received at the desk): the message `rut_ho_so` (`process.message`) stops the
    process (Mẫu 05) wherever it was."""
    ensure_may(actor, Action.WITHDRAW)
    if SubStatus(dossier.status) in TERMINAL or SubStatus(dossier.status) is SubStatus.DA_XU_LY_XONG:
        raise Conflict("Hồ sơ đã kết thúc, không thể rút.", code="dossier_finished")
    now = services.clock.now()
    process.message(session, engine=engine, services=services, actor=actor, instance_id=dossier.instance_id or 0,
                    name="rut_ho_so", payload={"ly_do": reason, "dossier_code": dossier.code})
    control_log.hand_over(session, dossier_id=dossier.id or 0, step="rut_ho_so", step_name="Công dân rút hồ sơ",
                    at=now, from_actor=dossier.applicant_name, from_unit=progress.CITIZEN,
                    to_actor=actor.display_name, to_unit=progress.ROLE_UNITS["MOT_CUA"], due_at=None, note=reason)
    audit.record(session, actor=actor.username, action="dossier.withdraw", at=now, dossier_code=dossier.code,
                 reason=reason)
    return dossier


def apologise(
    session: Session, *, services: DomainServices, dossier: Dossier, actor: Actor, reason: str,
    new_due_at: datetime,
) -> Dossier:
    """Mẫu 04: the apology with a new appointment, allowed once (NĐ 61), by the case officer or a head
    (ACTION_ROLES), later than the current appointment by at most the procedure's own processing time."""
    ensure_may(actor, Action.APOLOGY)
    now = services.clock.now()
    if dossier.apology_count >= 1:
        raise Conflict("Chỉ được hẹn lại ngày trả kết quả một lần.", code="apology_already_issued")
    if dossier.due_at is None or dossier.finished_at is not None:
        raise Conflict("Hồ sơ chưa tiếp nhận hoặc đã có kết quả.", code="apology_not_applicable")
    if new_due_at.tzinfo is None or new_due_at <= dossier.due_at:
        raise ValidationFailed(errors=[{"field": "new_due_at",
                                        "message": "Ngày hẹn mới phải sau ngày hẹn hiện tại (có múi giờ)."}])
    longest = longest_extension(dossier)
    if new_due_at - ensure_utc(dossier.due_at) > longest:
        raise ValidationFailed(errors=[{"field": "new_due_at", "message": (
            f"Ngày hẹn mới không được muộn hơn ngày hẹn hiện tại quá {_days(longest)} ngày "
            "(thời hạn giải quyết của thủ tục).")}])
    old_due = dossier.due_at
    dossier.apology_count += 1
    dossier.due_at = new_due_at
    dossier.updated_at = now
    session.add(dossier)
    issue_form(session, dossier=dossier, form="MAU_04", services=services, now=now, actor=actor.username,
               data={"ly_do_xin_loi": reason})
    messages.notify_event(session, dossier=dossier, event="XIN_LOI", services=services, now=now,
                          reason=reason, overrides={"due_at": old_due, "new_due_at": new_due_at})
    audit.record(session, actor=actor.username, action="dossier.apology", at=now, dossier_code=dossier.code,
                 reason=reason, data={"old_due_at": old_due.isoformat(), "new_due_at": new_due_at.isoformat()})
    return dossier


def longest_extension(dossier: Dossier) -> timedelta:
    """How much later the apology may move the appointment: the procedure's processing time as this
    dossier got it (acceptance to the first appointment), at least one day. The law sets no figure; the
    agency re-promising a whole period is the most it can honestly ask of the citizen, and it keeps a
    careless or hostile date (a year later) out."""
    if dossier.original_due_at is None or dossier.accepted_at is None:
        return timedelta(days=1)
    return max(ensure_utc(dossier.original_due_at) - ensure_utc(dossier.accepted_at), timedelta(days=1))


def _days(span: timedelta) -> int:
    return -(-span // timedelta(days=1))  # whole days, rounded up


def ensure_open(dossier: Dossier) -> None:
    if SubStatus(dossier.status) in TERMINAL:
        raise Conflict("Hồ sơ đã kết thúc.", code="dossier_finished")
