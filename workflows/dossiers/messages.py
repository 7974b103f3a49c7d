"""An official's free-text Zalo message to the applicant: same outbox, same channel rules, recorded in
the dossier's history with the sender."""

from __future__ import annotations

from sqlmodel import Session, func, select

from connectors.outbox import DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage, enqueue, messages_for
from connectors.zalo.client import is_image
from connectors.zalo.sender import ATTACHMENT_REFUSED
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.errors import NotFound, ValidationFailed
from workflows.documents.models import DossierDocument
from workflows.dossiers import control_log, progress
from workflows.dossiers.models import Dossier
from workflows.dossiers.schemas import MessageOut, MessageSentOut
from workflows.identity.actor import Actor
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
    control_log.hand_over(session, dossier_id=dossier.id or 0, step="tin_nhan", step_name="Tin nhắn Zalo cho công dân",
                    at=now, from_actor=actor.display_name, from_unit=progress.unit_of(session, actor),
                    to_actor=dossier.applicant_name, to_unit="Tổ chức, cá nhân", due_at=None, note=text[:500])
    audit.record(session, actor=actor.username, action="dossier.message", at=now, dossier_code=dossier.code,
                 data={"document_id": document_id})
    if message is None:  # only on an exact duplicate key, which the count above rules out
        raise ValidationFailed("Tin nhắn đã được gửi.", code="duplicate_message")
    return MessageOut(id=message.id or 0, status=message.status, idempotency_key=key)


STATUS_NAMES = {PENDING: "Đang chờ gửi", SENDING: "Đang gửi", SENT: "Đã gửi",
                UNREACHABLE: "Không gửi được: công dân không nhận được tin qua Zalo", DEAD: "Gửi thất bại"}
ZALO_FILE_TYPES = (".pdf", ".doc", ".docx")


def list_sent(session: Session, *, dossier: Dossier) -> list[MessageSentOut]:
    """The dossier's Zalo messages to the applicant in sending order, each with what did not arrive: an
    attachment Zalo refused (the text still went), or why the whole message did not go."""
    return [MessageSentOut(
        id=m.id or 0, kind=m.kind, event=str(m.payload.get("event") or ""), text=str(m.payload.get("text") or ""),
        status=m.status, status_name=STATUS_NAMES.get(m.status, m.status), channel_used=m.channel_used,
        created_at=m.created_at, sent_at=m.sent_at, problems=_problems(m),
    ) for m in messages_for(session, subject_ref=dossier.code)]


# Why a citizen could not be reached (the reason the relay records first in `last_error`), as an official reads it.
UNREACHABLE_REASONS = {
    "no_contact": "hồ sơ không có số điện thoại và chưa liên kết Zalo",
    "phone_not_on_zalo": "số điện thoại của hồ sơ chưa đăng ký Zalo",
    "phone_invalid": "số điện thoại của hồ sơ không hợp lệ với Zalo",
    "outside_window": "công dân không nhắn tin cho OA trong 7 ngày qua và không nhận được tin mẫu",
    "not_follower": "công dân chưa quan tâm OA", "blocked_oa": "công dân đã chặn OA",
    "user_inactive": "tài khoản Zalo của công dân không còn hoạt động",
    "recipient_unknown": "không xác định được người nhận",
}


def _problems(message: OutboxMessage) -> list[str]:
    error = message.last_error or ""
    if message.status == UNREACHABLE:
        reason = UNREACHABLE_REASONS.get(error.split(":", 1)[0], f"Zalo không chuyển được tin ({error})")
        return [f"Tin nhắn không đến được công dân: {reason}."]
    if message.status == DEAD:
        return [f"Gửi thất bại, Zalo không nhận tin nhắn ({error}); quản trị viên có thể gửi lại."]
    problems = []
    for line in error.splitlines():
        if line.startswith(ATTACHMENT_REFUSED):
            code, _, rest = line.removeprefix(ATTACHMENT_REFUSED).partition(":")
            filename, _, detail = rest.partition(": ")
            problems.append(f"Tệp «{filename}» không gửi được qua Zalo: {_refusal(code, filename, detail)}. "
                            "Nội dung tin nhắn vẫn được gửi; đề nghị gửi lại tệp nhỏ hơn hoặc ở định dạng "
                            "PDF, hoặc trao trực tiếp cho công dân.")
    return problems


def _refusal(code: str, filename: str, detail: str) -> str:
    image = is_image(filename)
    if not image and not filename.lower().endswith(ZALO_FILE_TYPES):
        return "Zalo chỉ nhận tệp PDF, DOC, DOCX và ảnh JPG, PNG"
    if code == "-210":
        return "ảnh lớn hơn 1 MB, giới hạn của Zalo" if image else "tệp lớn hơn 5 MB, giới hạn của Zalo"
    return f"Zalo từ chối tệp ({detail})"
