"""The dossier's result, signed: render the result the procedure issues, have the official who approved it
sign it (`DomainServices.document_signer()`: local key file or remote signing service), store it as the
dossier's result document and record the signature. The BPMN's `documents/sign` operator calls this in the
signing step ("Ký duyệt kết quả"): a signing that fails or times out fails the step, which becomes an
incident naming it; a retry signs again."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from workflows import audit
from workflows.collaborators import DomainServices
from workflows.documents.models import DocumentKind, DocumentSignature, DossierDocument
from workflows.documents.result import ResultContext, render_result
from workflows.documents.service import PDF, store_document
from workflows.dossiers import forms, signers
from workflows.dossiers.models import Dossier
from workflows.identity import naming
from workflows.procedures.service import get_version
from workflows.signing.appearance import stamp_lines
from workflows.signing.base import SigningFailed
from workflows.signing.keys import OfficialIdentity

SIGNATURE_FIELD = "ChuKyLanhDao"


def sign_result(session: Session, *, dossier: Dossier, services: DomainServices, actor: str, step: str,
                now: datetime) -> DossierDocument:
    """Render the dossier's result, sign it as `actor` (the official who approved it, by their certificate)
    and store it as the dossier's result document. Raises SigningFailed (SigningTimeout) with the reason."""
    person = naming.describe(session, username=actor)
    if person is None:
        raise SigningFailed("Bước ký số cần một cán bộ ký duyệt (không có người ký).", code="signing_no_signer")
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    agency = forms.agency_name(session, code=dossier.agency_code, services=services)
    cipher = services.cipher
    official = OfficialIdentity(username=actor, full_name=person.full_name, title=person.title or person.position,
                                organization=agency)
    rendered = render_result(ResultContext(
        agency_name=agency, parent_agency_name="UBND TỈNH TUYÊN QUANG", place_name="Tuyên Quang",
        dossier_code=dossier.code, procedure_name=procedure.name, result_title=procedure.result or procedure.name,
        applicant_name=dossier.applicant_name,
        applicant_address=cipher.decrypt(dossier.applicant_address_enc) if dossier.applicant_address_enc else "",
        legal_basis=procedure.legal_basis or "", signer_heading=signers.signing_heading(person.title),
        signer_name=person.full_name, verify_url=services.verify_url(dossier.code), issued_at=now,
        stamp=tuple(stamp_lines(name=official.full_name, title=official.title, organization=agency, at=now))))
    signed = services.document_signer().sign(
        rendered.content, official=official, box=rendered.signature_box, field_name=SIGNATURE_FIELD,
        reason=f"Ký duyệt kết quả hồ sơ {dossier.code}", location="Tuyên Quang", now=now)
    document = store_document(
        session, store=services.store, dossier_code=dossier.code, kind=DocumentKind.RESULT,
        filename=f"ket-qua-{dossier.code}.pdf", media_type=PDF, content=signed.content, created_by=actor, now=now,
        note=f"Ký số bởi {person.full_name}, {person.title or person.position}")
    assert document.id is not None
    session.add(DocumentSignature(
        document_id=document.id, dossier_code=dossier.code, step=step, signer_username=actor,
        signer_name=person.full_name, signer_title=person.title or person.position, method=signed.method,
        certificate_sha256=signed.certificate_sha256, certificate_serial=signed.certificate_serial, signed_at=now))
    audit.record(session, actor=actor, action="document.sign", at=now, dossier_code=dossier.code,
                 data={"document_id": document.id, "method": signed.method, "step": step})
    session.flush()
    return document


def latest_result(session: Session, *, code: str) -> DossierDocument | None:
    """The dossier's latest signed result."""
    return session.exec(
        select(DossierDocument)
        .where(DossierDocument.dossier_code == code, DossierDocument.kind == DocumentKind.RESULT.value)
        .order_by(col(DossierDocument.id).desc())
    ).first()
