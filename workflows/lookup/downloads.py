"""The dossier's issued forms for the citizen, behind the lookup's second factor: the list, and one document.
Uploads (scans of ID cards and the like) are not offered here, except one an official sent the applicant in
a Zalo message: Zalo takes files up to 5 MB only, so a larger one reaches the citizen as a link to this page
(`connectors/zalo/uploads.py`), and the page must then offer it."""

from __future__ import annotations

from sqlmodel import Session

from connectors.outbox import messages_for
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.documents.context import FormCode
from workflows.documents.models import DocumentKind, DossierDocument
from workflows.documents.service import list_documents, read_document
from workflows.lookup.schemas import CitizenDocument
from workflows.lookup.service import find_verified, refusal

CITIZEN_KINDS = frozenset({"form", "result"})


__all__ = ["CitizenDocument", "issued", "list_for_citizen", "read_for_citizen"]


def _title(document: DossierDocument) -> str:
    if document.form_code in FormCode.__members__:
        return FormCode[document.form_code].title_vi
    return "Kết quả giải quyết" if document.kind == DocumentKind.RESULT else document.filename


def sent_to_applicant(session: Session, *, dossier_code: str) -> set[int]:
    """The ids of the dossier's documents attached to a message for the applicant (any state: an official
    chose to give them to the citizen)."""
    ids: set[int] = set()
    for message in messages_for(session, subject_ref=dossier_code):
        attachment = (message.payload or {}).get("attachment")
        document_id = attachment.get("document_id") if isinstance(attachment, dict) else None
        if isinstance(document_id, (int, str)) and str(document_id).isdigit():
            ids.add(int(document_id))
    return ids


def _offered(document: DossierDocument, sent: set[int]) -> bool:
    return document.kind in CITIZEN_KINDS or document.id in sent


def issued(session: Session, *, dossier_code: str) -> list[CitizenDocument]:
    """The dossier's issued forms and results, and the documents sent to the applicant, for a caller who has
    already checked the second factor."""
    sent = sent_to_applicant(session, dossier_code=dossier_code)
    return [CitizenDocument(id=d.id or 0, form_code=d.form_code, title=_title(d), filename=d.filename,
                            created_at=d.created_at)
            for d in list_documents(session, dossier_code=dossier_code) if _offered(d, sent)]


def list_for_citizen(
    session: Session, *, services: DomainServices, code: str, verifier: str, actor: str,
) -> list[CitizenDocument]:
    dossier = find_verified(session, services=services, code=code, verifier=verifier)
    audit.record(session, actor=actor, action="public.documents", at=services.clock.now(),
                 dossier_code=dossier.code if dossier else None, data={"result": "found" if dossier else "refused"})
    if dossier is None:
        raise refusal()
    return issued(session, dossier_code=dossier.code)


def read_for_citizen(
    session: Session, *, services: DomainServices, code: str, verifier: str, document_id: int, actor: str,
) -> tuple[DossierDocument, bytes]:
    dossier = find_verified(session, services=services, code=code, verifier=verifier)
    if dossier is None:
        raise refusal()
    document, content = read_document(session, store=services.store, dossier_code=dossier.code,
                                      document_id=document_id)
    if not _offered(document, sent_to_applicant(session, dossier_code=dossier.code)):
        raise refusal()
    audit.record(session, actor=actor, action="public.document_download", at=services.clock.now(),
                 dossier_code=dossier.code, data={"document_id": document.id})
    return document, content
