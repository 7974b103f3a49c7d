"""A dossier's documents for officials: list, upload (validated, checksummed), download (audited)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.errors import PayloadTooLarge
from workflows.documents import service as store_service
from workflows.documents.models import DossierDocument
from workflows.dossiers.models import Dossier
from workflows.dossiers.schemas import DocumentOut
from workflows.identity.actor import Actor


@dataclass(frozen=True)
class Upload:
    """A file as the client sent it: its name and declared type (both untrusted), and its content, read by
    the caller up to one byte past the upload limit (`max_upload_bytes`) so that `upload` can tell it was
    exceeded without the whole body being held."""

    filename: str | None
    declared_type: str | None
    content: bytes


def list_for(session: Session, *, dossier: Dossier) -> list[DocumentOut]:
    return [DocumentOut.model_validate(d, from_attributes=True)
            for d in store_service.list_documents(session, dossier_code=dossier.code)]


def upload(
    session: Session, *, dossier: Dossier, actor: Actor, services: DomainServices, upload: Upload,
    note: str | None,
) -> DocumentOut:
    """Store `upload` as a document of the dossier (in the caller's transaction) and audit it. Refusals:
    PayloadTooLarge (413) past `max_upload_bytes`, ValidationFailed (422) for a type or content not
    accepted."""
    limit = services.settings.storage.max_upload_bytes
    content = upload.content
    if len(content) > limit:
        raise PayloadTooLarge(f"Tệp vượt quá {limit // (1024 * 1024)} MB.", code="file_too_large")
    filename = upload.filename or "tep-dinh-kem"
    # The type stored (and later sent as Content-Type) is the one read from the content, never the
    # client's declaration, which may carry parameters or anything else.
    media_type = store_service.validate_upload(filename=filename, media_type=upload.declared_type or "",
                                               content=content, max_bytes=limit)
    now = services.clock.now()
    document = store_service.store_document(
        session, store=services.store, dossier_code=dossier.code, kind="upload", filename=filename,
        media_type=media_type, content=content,
        created_by=actor.username, now=now, note=note)
    audit.record(session, actor=actor.username, action="document.upload", at=now, dossier_code=dossier.code,
                 data={"document_id": document.id, "sha256": document.sha256})
    return DocumentOut.model_validate(document, from_attributes=True)


def download(
    session: Session, *, dossier: Dossier, document_id: int, actor: Actor, services: DomainServices,
) -> tuple[DossierDocument, bytes]:
    document, content = store_service.read_document(session, store=services.store, dossier_code=dossier.code,
                                                    document_id=document_id)
    audit.record(session, actor=actor.username, action="document.download", at=services.clock.now(),
                 dossier_code=dossier.code, data={"document_id": document.id})
    return document, content
