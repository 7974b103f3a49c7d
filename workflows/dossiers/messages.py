"""An official's free-text Zalo message to the applicant: same outbox, same channel rules, recorded in
the dossier's history with the sender."""

from __future__ import annotations

from sqlmodel import Session, func, select

from connectors.outbox import OutboxMessage, enqueue
from workflows.core.errors import NotFound, ValidationFailed
from workflows.documents.models import DossierDocument
from workflows.dossiers import audit, progress
from workflows.dossiers.access import Actor
from workflows.dossiers.models import Dossier
from workflows.dossiers.schemas import MessageOut
from workflows.dossiers.services import DomainServices
from workflows.notifications import texts


def send(
    session: Session, *, dossier: Dossier, actor: Actor, services: DomainServices, text: str,
    document_id: int | None,
) -> MessageOut:
    if not dossier.notify_zalo:
        raise ValidationFailed("Người nộp hồ sơ chưa đồng ý nhận tin nhắn qua Zalo.", code="zalo_not_consented")
    attachment = None
    if document_id is not None:
        document = session.get(DossierDocument, document_id)
        if document is None or document.dossier_code != dossier.code:
            raise NotFound("Không tìm thấy giấy tờ của hồ sơ.", code="document_not_found")
        attachment = {"document_id": document.id, "filename": document.filename}
    now = services.clock.now()
    count = session.exec(select(func.count()).select_from(OutboxMessage)
                         .where(OutboxMessage.subject_ref == dossier.code, OutboxMessage.kind == "official_message")
                         ).one()
    key = f"{dossier.code}:MSG:{int(count) + 1}"
    body = f"[{services.settings.agency_name}] Về hồ sơ {dossier.code}: {text.strip()}"
    payload = {"event": "TIN_NHAN", "text": body, "attachment": attachment, "sender": actor.display_name,
               "template": texts.template_data(code=dossier.code, name=dossier.applicant_name,
                                               status="Có tin nhắn từ cán bộ", cta_text="Xem hồ sơ",
                                               cta_url=services.lookup_url(dossier.code))}
    message = enqueue(session, idempotency_key=key, kind="official_message", subject_ref=dossier.code,
                      recipient_ref=f"dossier:{dossier.code}", payload=payload, now=now)
    audit.hand_over(session, dossier_id=dossier.id or 0, step="tin_nhan", step_name="Tin nhắn Zalo cho công dân",
                    at=now, from_actor=actor.display_name, from_unit=progress.unit_of(session, actor),
                    to_actor=dossier.applicant_name, to_unit="Tổ chức, cá nhân", due_at=None, note=text[:500])
    audit.record(session, actor=actor.username, action="dossier.message", at=now, dossier_code=dossier.code,
                 data={"document_id": document_id})
    if message is None:  # only on an exact duplicate key, which the count above rules out
        raise ValidationFailed("Tin nhắn đã được gửi.", code="duplicate_message")
    return MessageOut(id=message.id or 0, status=message.status, idempotency_key=key)
