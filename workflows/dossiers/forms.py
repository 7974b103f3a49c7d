"""Builds the contexts of citizen messages and official forms from a dossier (decrypting only what the
form needs, masking the phone), and issues forms as stored dossier documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from workflows import audit
from workflows.agencies import service as agencies
from workflows.agencies.models import Agency
from workflows.collaborators import DomainServices
from workflows.core.clock import to_local
from workflows.core.db import memo
from workflows.documents.context import ControlLogRow, vn_datetime
from workflows.documents.models import DocumentSignature, DossierDocument
from workflows.documents.render import FormCode, FormContext, render_signable_form
from workflows.documents.service import store_document
from workflows.dossiers import fees, numbers, signers
from workflows.dossiers.models import ControlLogEntry, Dossier
from workflows.dossiers.statuses import SubStatus
from workflows.identity import naming
from workflows.identity.models import Department
from workflows.notifications.texts import MessageContext
from workflows.payments import service as payment_requests
from workflows.payments.models import OPEN
from workflows.privacy import mask_phone
from workflows.procedures.models import ProcedureVersion
from workflows.procedures.service import get_version
from workflows.signing.appearance import stamp_lines
from workflows.signing.keys import OfficialIdentity

KIND_LABELS = {"original": "Bản chính", "copy": "Bản sao", "certified_copy": "Bản sao chứng thực",
               "certified": "Bản sao chứng thực"}
UNIT_LABELS = {"working_days": "ngày làm việc", "calendar_days": "ngày", "working_hours": "giờ làm việc"}


def time_limit_text(value: int | float, unit: str) -> str:
    return f"{int(value):02d} {UNIT_LABELS.get(unit, unit)}"


def agency(session: Session, code: str) -> Agency | None:
    """The agency `code`, read once per session (the steps' messages, forms and sync records all name it)."""
    return memo(session, "agency", code, lambda: session.get(Agency, code))


def remember_agency(session: Session, found: Agency) -> Agency:
    """Keep an agency read some other way (joined to a work item's dossier) for `agency` in this session."""
    return memo(session, "agency", found.code, lambda: found) or found


def agency_name(session: Session, *, code: str, services: DomainServices) -> str:
    """The agency's name people read; the deployment's own name for an agency not in the list."""
    found = agency(session, code)
    return found.name if found is not None else services.settings.agency_name


def desk_place(session: Session, *, dossier: Dossier, services: DomainServices) -> str:
    """The one-stop desk that received the dossier, where the result is handed back."""
    return agencies.desk_name(agency(session, dossier.received_agency_code), fallback=services.settings.centre_name)


FORMS_OF_THE_DESK = frozenset({FormCode.MAU_01, FormCode.MAU_07})  # issued in the receiving agency's name


def _department_name(session: Session, dossier: Dossier) -> str:
    department_id = dossier.department_id
    department = memo(session, "department", department_id, lambda: session.get(Department, department_id))
    return department.name if department else ""


def message_context(
    session: Session, *, dossier: Dossier, services: DomainServices, now: datetime, reason: str = "",
    items: Sequence[str] = (),
) -> MessageContext:
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    chosen = fees.applicable(procedure.fees, dossier.intake_facts)  # this dossier's fee when declared
    fee = sum(int(f.get("amount") or 0) for f in chosen) if chosen else (
        int(procedure.fees[0].get("amount") or 0) if procedure.fees else 0)
    desk = desk_place(session, dossier=dossier, services=services)
    department = _department_name(session, dossier)
    request = payment_requests.current_request(session, dossier_code=dossier.code)
    payable = request is not None and request.state == OPEN and \
        dossier.status == SubStatus.CHO_NGHIA_VU_TAI_CHINH.value
    if payable and request is not None:
        fee = request.amount  # the amount asked online is the one the message states
    return MessageContext(
        code=dossier.code, name=dossier.applicant_name, procedure=procedure.name,
        agency=agency_name(session, code=dossier.agency_code, services=services), department=department,
        result_place=desk,
        contact=desk if dossier.accepted_at is None else department,
        lookup_url=services.lookup_url(dossier.code), rating_url=services.rating_url(dossier.code),
        received_at=dossier.accepted_at or dossier.submitted_at,
        due_at=dossier.due_at, time_limit=time_limit_text(procedure.time_limit_value, procedure.time_limit_unit),
        reason=reason or "chưa đáp ứng yêu cầu theo quy định", items=tuple(items),
        amount=f"{fee:,} đồng".replace(",", ".") if fee else "", at=now,
        payment_url=services.payment_url(request.token) if payable and request is not None else "",
    )


def form_context(
    session: Session, *, dossier: Dossier, services: DomainServices, now: datetime, actor: str,
    data: dict[str, Any] | None = None, form: FormCode = FormCode.MAU_01,
) -> FormContext:
    """What `form` prints about the dossier; `actor` is the login of the official issuing it (the signer
    is chosen by `signers.signer_for`, and named by full name and title, never by login)."""
    data = data or {}
    signer = signers.signer_for(session, form=form, dossier=dossier, actor=actor)
    cipher = services.cipher
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    phone = cipher.decrypt(dossier.applicant_phone_enc) if dossier.applicant_phone_enc else ""
    log = session.exec(select(ControlLogEntry).where(ControlLogEntry.dossier_id == dossier.id)
                       .order_by(ControlLogEntry.id)).all()  # type: ignore[arg-type]
    documents = dossier.documents or [
        {"name": d.get("name", ""), "count": d.get("count", 1), "kind": d.get("kind", "Bản sao")}
        for d in procedure.documents
    ]
    issuer = dossier.received_agency_code if form in FORMS_OF_THE_DESK else dossier.agency_code
    return FormContext(
        agency_name=agency_name(session, code=issuer, services=services),
        parent_agency_name="UBND TỈNH TUYÊN QUANG",
        place_name="Tuyên Quang",
        agency_code=issuer,
        dossier_code=dossier.code,
        procedure_name=procedure.name,
        time_limit_text=time_limit_text(procedure.time_limit_value, procedure.time_limit_unit),
        applicant_name=dossier.applicant_name,
        applicant_address=cipher.decrypt(dossier.applicant_address_enc) if dossier.applicant_address_enc else "",
        applicant_phone_masked=mask_phone(phone) if phone else "",
        applicant_email=cipher.decrypt(dossier.applicant_email_enc) if dossier.applicant_email_enc else "",
        documents=[(d.get("name", ""), int(d.get("count", 1)), KIND_LABELS.get(d.get("kind", ""), d.get("kind", "")))
                   for d in documents],
        received_at=dossier.accepted_at or dossier.submitted_at,
        appointment_at=dossier.original_due_at or dossier.due_at,
        new_appointment_at=dossier.due_at if dossier.apology_count else None,
        official_name=signer.name,
        official_position=signer.position,
        signer_heading=signer.heading,
        unit_name=signer.unit_name,
        official_phone=signer.unit_phone,
        reason=_reason(data),
        items=supplement_items(data),
        control_log=[_log_row(e) for e in log],
        stage=_stage(log) if form is FormCode.MAU_05 else "",
        lookup_url=services.lookup_url(dossier.code),
        issued_at=now,
        result_channel=signers.delivery_sentence(str(data.get("hinh_thuc_tra") or dossier.result_delivery or "")),
        **_fee_fields(procedure, dossier),
    )


def _fee_fields(procedure: ProcedureVersion, dossier: Dossier) -> dict[str, Any]:
    """The fee that applies to the dossier when its declared facts decide it, else the whole table."""
    chosen = fees.applicable(procedure.fees, dossier.intake_facts)
    if chosen is None:
        return {"fee_lines": signers.fee_lines(procedure.fees)}
    return {"fee_lines": signers.fee_lines(chosen),
            "fee_basis": fees.basis_text(procedure.intake_fields or [], dossier.intake_facts)}


def _reason(data: dict[str, Any]) -> str:
    withdrawal = data.get("yeu_cau_rut")  # the payload of the rut_ho_so message
    if isinstance(withdrawal, dict) and withdrawal.get("ly_do"):
        return str(withdrawal["ly_do"])
    return str(data.get("ly_do") or data.get("ly_do_xin_loi") or "")


def supplement_items(data: Mapping[str, Any]) -> list[str]:
    """What the citizen must supplement, one entry per document or point: the desk's list `giay_to_thieu`
    or the appraisal's text `noi_dung_bo_sung` (one point per line or per ";"). The one source of both the
    Zalo message and Mẫu 02, so they never differ. `data` is the round's own (see `round_data`)."""
    raw = data.get("giay_to_thieu") or data.get("noi_dung_bo_sung") or []
    if isinstance(raw, str):
        return [line.strip() for line in raw.replace(";", "\n").splitlines() if line.strip()]
    return [str(item).strip() for item in raw if str(item).strip()]


# The fields that say what one round decided (why, what is missing). They must come from the deciding
# form's own submission: inherited task data still holds those of an earlier round or of another form.
DECISION_FIELDS = frozenset({"ly_do", "giay_to_thieu", "noi_dung_bo_sung"})


def round_data(data: Mapping[str, Any], *, form: Mapping[str, Any], form_step: str | None) -> dict[str, Any]:
    """The task data as the current round sees it: inherited values, with the decision fields taken only
    from the submission of the user task that led here (`form`). An instance that recorded no submission
    (started before forms were recorded) keeps its inherited data."""
    if form_step is None:
        return dict(data)
    kept = {key: value for key, value in data.items() if key not in DECISION_FIELDS}
    return kept | dict(form)


def _stage(log: Sequence[ControlLogEntry]) -> str:
    """How far the dossier had got when it stopped (Mẫu 05): the last step completed before."""
    done = [entry for entry in log if entry.step != "rut_ho_so"]
    if not done:
        return ""
    last = done[-1]
    return f"{last.step_name} (hoàn thành lúc {vn_datetime(last.at)})"


def _log_row(entry: ControlLogEntry) -> ControlLogRow:
    return ControlLogRow(from_unit=entry.from_unit or "", to_unit=entry.to_unit or "", handed_at=entry.at,
                         from_user=entry.from_actor or "", to_user=entry.to_actor or "", due_at=entry.due_at,
                         note=entry.step_name + (f": {entry.note}" if entry.note else ""))


def issue_form(
    session: Session, *, dossier: Dossier, form: str, services: DomainServices, now: datetime, actor: str,
    data: dict[str, Any] | None = None, step: str | None = None,
) -> DossierDocument:
    """Render `form` for the dossier and store it as one of its documents (with checksum). `actor` is the
    issuing official's login. Forms 01–05 take the next number of the agency's register for the year
    (rolled back with the transaction), printed as "Số: 15/TNHS" and stored on the document.

    When `signing.forms` is on and the official of the form's signing block is `actor` (the desk's forms,
    or a letter its signer issues), the form is signed in that block as `actor` (`DomainServices.
    document_signer`) and the signature recorded against `step` (the BPMN element; the form's code when
    none). Nobody signs in another's name: a letter the agency head signs, issued by someone else, is stored
    unsigned for the head. Raises SigningFailed when the signing fails: nothing is stored then."""
    code = FormCode(form)
    context = form_context(session, dossier=dossier, services=services, now=now, actor=actor, data=data,
                           form=code)
    year = to_local(now).year
    # Numbered in the register of the agency issuing it: the receiving desk's for its forms (Mẫu 01).
    issued = numbers.issue_number(session, agency_code=context.agency_code, year=year, form=code)
    if issued is not None:
        context.document_number = issued[0]
        if code is FormCode.MAU_01:  # entered in the register: book of the year, number in it
            context.register_book, context.register_seq = str(year), str(issued[1])
    official = _signing_official(session, dossier=dossier, form=code, services=services, actor=actor,
                                 organization=context.agency_name)
    if official is not None:
        context.signature_stamp = tuple(stamp_lines(name=official.full_name, title=official.title,
                                                    organization=official.organization, at=now))
    rendered = render_signable_form(code, context)
    content, signed = rendered.content, None
    if official is not None and rendered.signature_boxes:
        signed = services.document_signer().sign(
            content, official=official, box=rendered.signature_boxes[-1], field_name=FORM_SIGNATURE_FIELD,
            reason=f"Ký {code.label} hồ sơ {dossier.code}", location=context.place_name or "Tuyên Quang", now=now)
        content = signed.content
    document = store_document(
        session, store=services.store, dossier_code=dossier.code, kind="form",
        filename=f"{code.value.lower()}-{dossier.code}.pdf", media_type="application/pdf",
        content=content, created_by=actor, form_code=code.value, now=now,
        note=f"Ký số bởi {official.full_name}, {official.title}" if official is not None else None,
    )
    document.number = issued[0] if issued else None
    session.add(document)
    session.flush()
    if signed is not None and official is not None:
        assert document.id is not None
        session.add(DocumentSignature(
            document_id=document.id, dossier_code=dossier.code, step=step or code.value, signer_username=actor,
            signer_name=official.full_name, signer_title=official.title, method=signed.method,
            certificate_sha256=signed.certificate_sha256, certificate_serial=signed.certificate_serial,
            signed_at=now))
        audit.record(session, actor=actor, action="document.sign", at=now, dossier_code=dossier.code,
                     data={"document_id": document.id, "method": signed.method, "form": code.value,
                           "step": step or code.value})
        session.flush()
    return document


FORM_SIGNATURE_FIELD = "ChuKyCanBo"
_SIGNED_FORMS = frozenset({FormCode.MAU_01, FormCode.MAU_02, FormCode.MAU_03, FormCode.MAU_04, FormCode.MAU_05})


def _signing_official(session: Session, *, dossier: Dossier, form: FormCode, services: DomainServices, actor: str,
                      organization: str) -> OfficialIdentity | None:
    """Who signs `form` digitally as it is issued: `actor`, when signing forms is on, the form has an
    official's signing block and that block is `actor`'s; else None (the block is left for a hand or a
    later signature)."""
    if not services.settings.signing.forms or form not in _SIGNED_FORMS:
        return None
    if signers.signer_for(session, form=form, dossier=dossier, actor=actor).username != actor:
        return None
    person = naming.describe(session, username=actor)
    if person is None:
        return None
    return OfficialIdentity(username=actor, full_name=person.full_name, title=person.title or person.position,
                            organization=organization)
