"""Photos and locations a citizen sends in the Zalo chat for a feedback case (phản ánh, kiến nghị).

A citizen opens a case with `PHẢN ÁNH <nội dung>` (`workflows/zalo/bot.py`); the photos and locations the
same Zalo account sends within ATTACH_WINDOW after it are attached to that case (the account's latest
case not yet answered), at most MAX_ATTACHMENTS. A photo's bytes go to the file store (encrypted at rest,
`workflows/documents/storage.py`); a location is kept only encrypted. The official who may open the case
(`service.get_case`) sees the list and the location, and downloads each photo (audited). Functions flush,
never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import ensure_utc
from workflows.core.errors import NotFound
from workflows.feedback.models import FeedbackAttachment, FeedbackCase
from workflows.feedback.schemas import FeedbackAttachmentOut, FeedbackLocation
from workflows.identity.actor import Actor
from workflows.privacy import PersonalDataCipher

ATTACH_WINDOW = timedelta(minutes=30)
MAX_ATTACHMENTS = 20
ANSWERED = "DA_TRA_LOI"
STORED, FAILED = "stored", "failed"
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}


def case_taking_attachments(session: Session, *, zalo_user_id: str, now: datetime) -> FeedbackCase | None:
    """The account's latest case not yet answered, opened within ATTACH_WINDOW; None when there is none."""
    case = session.exec(select(FeedbackCase).where(FeedbackCase.zalo_user_id == zalo_user_id)
                        .order_by(col(FeedbackCase.id).desc())).first()
    if case is None or case.status == ANSWERED or ensure_utc(case.created_at) < now - ATTACH_WINDOW:
        return None
    return case


def count(session: Session, *, case: FeedbackCase) -> int:
    return int(session.exec(select(func.count()).select_from(FeedbackAttachment)
                            .where(FeedbackAttachment.case_id == case.id)).one())


def add_photo(session: Session, *, case: FeedbackCase, content: bytes, content_type: str, msg_id: str,
              services: DomainServices) -> FeedbackAttachment:
    """Store the photo (encrypted) and attach it to the case."""
    stored = services.store.put(content)
    number = count(session, case=case) + 1
    extension = _EXTENSIONS.get(content_type, "bin")
    return _add(session, services=services, case=case, attachment=FeedbackAttachment(
        case_id=case.id or 0, kind="image", status=STORED, storage_key=stored.key, size=stored.size,
        filename=f"{case.code}-anh-{number}.{extension}", content_type=content_type, source_msg_id=msg_id[:64],
        created_at=services.clock.now()))


def add_failed_photo(session: Session, *, case: FeedbackCase, error: str, msg_id: str,
                     services: DomainServices) -> FeedbackAttachment:
    """Record a photo that could not be fetched: the official sees one was sent, and why it is missing."""
    return _add(session, services=services, case=case, attachment=FeedbackAttachment(
        case_id=case.id or 0, kind="image", status=FAILED, error=error[:255], source_msg_id=msg_id[:64],
        created_at=services.clock.now()))


def add_location(session: Session, *, case: FeedbackCase, latitude: float, longitude: float, msg_id: str,
                 services: DomainServices) -> FeedbackAttachment:
    """Attach a location, encrypted ("latitude,longitude")."""
    return _add(session, services=services, case=case, attachment=FeedbackAttachment(
        case_id=case.id or 0, kind="location", status=STORED, source_msg_id=msg_id[:64],
        location_enc=services.cipher.encrypt(f"{latitude:.6f},{longitude:.6f}"), created_at=services.clock.now()))


def _add(session: Session, *, services: DomainServices, case: FeedbackCase,
         attachment: FeedbackAttachment) -> FeedbackAttachment:
    session.add(attachment)
    session.flush()
    audit.record(session, actor=f"zalo:{case.zalo_user_id}", action="feedback.attachment_add",
                 at=services.clock.now(), dossier_code=case.dossier_code,
                 data={"feedback": case.code, "attachment": attachment.id, "kind": attachment.kind,
                       "status": attachment.status})
    return attachment


def _location(cipher: PersonalDataCipher, attachment: FeedbackAttachment) -> FeedbackLocation | None:
    if not attachment.location_enc:
        return None
    latitude, _, longitude = cipher.decrypt(attachment.location_enc).partition(",")
    return FeedbackLocation(latitude=float(latitude), longitude=float(longitude))


def attachments_out(session: Session, *, case: FeedbackCase,
                    cipher: PersonalDataCipher) -> tuple[list[FeedbackAttachmentOut], FeedbackLocation | None]:
    """The case's attachments, oldest first, and its latest location (None when none was sent)."""
    rows = session.exec(select(FeedbackAttachment).where(FeedbackAttachment.case_id == case.id)
                        .order_by(col(FeedbackAttachment.id))).all()
    items: list[FeedbackAttachmentOut] = []
    latest: FeedbackLocation | None = None
    for row in rows:
        location = _location(cipher, row) if row.kind == "location" else None
        latest = location or latest
        download = (f"/api/v1/feedback/{case.code}/attachments/{row.id}"
                    if row.kind == "image" and row.status == STORED else None)
        items.append(FeedbackAttachmentOut(
            id=row.id or 0, kind=row.kind, status=row.status, filename=row.filename,
            content_type=row.content_type, size=row.size, location=location, error=row.error,
            created_at=ensure_utc(row.created_at), download_url=download))
    return items, latest


def read_photo(session: Session, *, case: FeedbackCase, attachment_id: int, actor: Actor,
               services: DomainServices) -> tuple[FeedbackAttachment, bytes]:
    """A stored photo of the case and its bytes (checked against their SHA-256), the read audited.
    NotFound for an attachment of another case, a location or a photo that never arrived."""
    row = session.get(FeedbackAttachment, attachment_id)
    if row is None or row.case_id != case.id or row.kind != "image" or not row.storage_key:
        raise NotFound("Không tìm thấy ảnh đính kèm này của phản ánh.", code="attachment_not_found")
    content = services.store.open(row.storage_key)
    audit.record(session, actor=actor.username, action="feedback.attachment_read", at=services.clock.now(),
                 dossier_code=case.dossier_code, data={"feedback": case.code, "attachment": row.id})
    return row, content
