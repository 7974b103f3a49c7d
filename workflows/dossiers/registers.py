"""Forms produced on request rather than by a BPMN step: the Phiếu kiểm soát (Mẫu 06) of one dossier as it
stands, and the Sổ theo dõi hồ sơ (Mẫu 07) of a department for a period."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import VN_TZ
from workflows.core.errors import ValidationFailed
from workflows.documents.context import FormCode, FormContext, RegisterRow
from workflows.documents.models import DossierDocument
from workflows.documents.render import render_form
from workflows.dossiers import access, forms
from workflows.dossiers.forms import issue_form
from workflows.dossiers.models import ControlLogEntry, Dossier
from workflows.identity.actor import Actor
from workflows.privacy import mask_phone
from workflows.procedures.models import ProcedureVersion

MAX_REGISTER_DAYS = 366
MAX_REGISTER_ROWS = 5000


def control_slip(session: Session, *, dossier: Dossier, actor: Actor, services: DomainServices) -> DossierDocument:
    """Mẫu 06 from the control log as it stands now, stored as one of the dossier's documents."""
    return issue_form(session, dossier=dossier, form=FormCode.MAU_06.value, services=services,
                      now=services.clock.now(), actor=actor.username)


def register(
    session: Session, *, actor: Actor, services: DomainServices, start: date, end: date,
) -> bytes:
    """Mẫu 07 for dossiers the actor's department received from `start` to `end` (local dates, inclusive)."""
    return render_form(FormCode.MAU_07, register_context(session, actor=actor, services=services, start=start,
                                                         end=end))


def register_context(
    session: Session, *, actor: Actor, services: DomainServices, start: date, end: date, export: str = "pdf",
) -> FormContext:
    """What Mẫu 07 prints for `start`–`end` (local dates, inclusive), in the receiving desk's name: one row
    per dossier the actor sees, by receipt time (at most MAX_REGISTER_ROWS). Audited as an export."""
    if end < start:
        raise ValidationFailed(errors=[{"field": "to", "message": "Đến ngày không được trước Từ ngày."}])
    if (end - start).days > MAX_REGISTER_DAYS:
        raise ValidationFailed(errors=[{"field": "to", "message": "Khoảng thời gian không hợp lệ (tối đa "
                                                                 f"{MAX_REGISTER_DAYS} ngày)."}])
    since = datetime.combine(start, time.min, VN_TZ)
    until = datetime.combine(end + timedelta(days=1), time.min, VN_TZ)
    rows = session.exec(
        select(Dossier, ProcedureVersion)
        .join(ProcedureVersion, col(ProcedureVersion.id) == col(Dossier.procedure_version_id))
        .where(access.scope(actor), col(Dossier.submitted_at) >= since,
               col(Dossier.submitted_at) < until)
        .order_by(col(Dossier.submitted_at)).limit(MAX_REGISTER_ROWS)).all()
    now = services.clock.now()
    register_rows = [_row(session, dossier, procedure.name, services) for dossier, procedure in rows]
    desk = actor.agency_code or services.settings.agency_code
    audit.record(session, actor=actor.username, action="register.export", at=now,
                 data={"from": start.isoformat(), "to": end.isoformat(), "rows": len(register_rows),
                       "format": export})
    return FormContext(
        agency_name=forms.agency_name(session, code=desk, services=services),
        parent_agency_name="UBND TỈNH TUYÊN QUANG", place_name="Tuyên Quang", agency_code=desk, issued_at=now,
        register_rows=register_rows, period_start=start, period_end=end)


def _row(session: Session, dossier: Dossier, procedure_name: str, services: DomainServices) -> RegisterRow:
    phone = services.cipher.decrypt(dossier.applicant_phone_enc) if dossier.applicant_phone_enc else ""
    address = services.cipher.decrypt(dossier.applicant_address_enc) if dossier.applicant_address_enc else ""
    transferred = session.exec(select(ControlLogEntry.at).where(
        ControlLogEntry.dossier_id == dossier.id, ControlLogEntry.step == "tiep_nhan")).first()
    return RegisterRow(
        dossier_code=dossier.code, procedure_name=procedure_name, applicant_name=dossier.applicant_name,
        received_at=dossier.accepted_at or dossier.submitted_at, appointment_at=dossier.due_at,
        applicant_address=address, applicant_phone_masked=mask_phone(phone) if phone else "",
        lead_agency=forms.agency_name(session, code=dossier.agency_code, services=services), transferred_at=transferred,
        result_received_at=dossier.finished_at, returned_at=dossier.returned_at)
