"""The dossier's issued forms for the citizen, behind the lookup's second factor: the list, and one PDF.
Uploads (scans of ID cards and the like) are never offered here."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from workflows.citizen.lookup import find_verified, refusal
from workflows.core.clock import VnDateTime
from workflows.documents.models import DossierDocument
from workflows.documents.service import list_documents, read_document
from workflows.dossiers import audit
from workflows.dossiers.services import DomainServices

CITIZEN_KINDS = frozenset({"form", "result"})


class CitizenDocument(BaseModel):
    id: int
    form_code: str | None
    filename: str
    created_at: VnDateTime


def list_for_citizen(
    session: Session, *, services: DomainServices, code: str, verifier: str, actor: str,
) -> list[CitizenDocument]:
    dossier = find_verified(session, services=services, code=code, verifier=verifier)
    audit.record(session, actor=actor, action="public.documents", at=services.clock.now(),
                 dossier_code=dossier.code if dossier else None, data={"result": "found" if dossier else "refused"})
    if dossier is None:
        raise refusal()
    return [CitizenDocument(id=d.id or 0, form_code=d.form_code, filename=d.filename, created_at=d.created_at)
            for d in list_documents(session, dossier_code=dossier.code) if d.kind in CITIZEN_KINDS]


def read_for_citizen(
    session: Session, *, services: DomainServices, code: str, verifier: str, document_id: int, actor: str,
) -> tuple[DossierDocument, bytes]:
    dossier = find_verified(session, services=services, code=code, verifier=verifier)
    if dossier is None:
        raise refusal()
    document, content = read_document(session, store=services.store, dossier_code=dossier.code,
                                      document_id=document_id)
    if document.kind not in CITIZEN_KINDS:
        raise refusal()
    audit.record(session, actor=actor, action="public.document_download", at=services.clock.now(),
                 dossier_code=dossier.code, data={"document_id": document.id})
    return document, content
