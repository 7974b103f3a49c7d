"""The dossier's Zalo messages to the applicant: the notice of each step (`notify_event`, queued by the BPMN's
`zalo/notify` operator, by intake and by the apology), an official's free-text message (`send`), and what
became of them (`list_sent`). All go through `notifications.notify_citizen`: same outbox, same channel rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from connectors.outbox import DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage, messages_for
from connectors.outbox.relay import WAITING
from connectors.zalo import uploads
from connectors.zalo.client import is_image
from connectors.zalo.payload import Attachment
from connectors.zalo.sender import ATTACHMENT_LINKED, ATTACHMENT_REFUSED
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.errors import NotFound, ValidationFailed
from workflows.documents.models import DossierDocument
from workflows.dossiers import control_log, forms, progress, results
from workflows.dossiers.models import Dossier
from workflows.dossiers.schemas import MessageOut, MessagePreviewAttachment, MessagePreviewOut, MessageSentOut
from workflows.identity.actor import Actor
from workflows.notifications import texts
from workflows.notifications.service import next_key, notify_citizen


def recipient_ref(dossier: Dossier) -> str:
    """The applicant, resolved at send time (`workflows/zalo/recipients.py`) only while they consent."""
    return f"dossier:{dossier.code}"


def notify_event(
    session: Session, *, dossier: Dossier, event: str, services: DomainServices, now: datetime,
    reason: str = "", items: Sequence[str] = (), overrides: dict[str, Any] | None = None,
) -> str | None:
    """Queue the applicant's message for `event` (`texts.EVENTS`) in the caller's transaction, with the form
    the event attaches (its latest issue); its key, or None when the applicant gave no Zalo consent.

    `reason` and `items` are what the deciding step wrote (why; what to supplement); `overrides` replaces
    fields of the message context (the apology's old and new appointment)."""
    if not dossier.notify_zalo:
        return None
    context = forms.message_context(session, dossier=dossier, services=services, now=now, reason=reason,
                                    items=items)
    rendered = texts.render(event, replace(context, **(overrides or {})))
    key = next_key(session, prefix=f"{dossier.code}:{event}:")
    attachment = None
    if rendered.attach_form:
        if rendered.attach_form == texts.RESULT_ATTACHMENT:
            document = results.latest_result(session, code=dossier.code)
        else:
            document = latest_form(session, code=dossier.code, form=rendered.attach_form)
        if document is not None:
            attachment = Attachment(document_id=str(document.id), filename=document.filename,
                                    url=services.lookup_url(dossier.code))
    notify_citizen(session, key=key, kind="dossier_event", code=dossier.code, recipient_ref=recipient_ref(dossier),
                   event=event, text=rendered.text, attachment=attachment, name=dossier.applicant_name,
                   status=rendered.status_label, cta_text=rendered.cta_text, cta_url=rendered.cta_url, now=now)
    return key


def latest_form(session: Session, *, code: str, form: str) -> DossierDocument | None:
    """The dossier's latest issue of `form` (a supplement round issues a new Mẫu 02, for instance)."""
    return session.exec(
        select(DossierDocument)
        .where(DossierDocument.dossier_code == code, DossierDocument.form_code == form)
        .order_by(col(DossierDocument.id).desc())
    ).first()


def send(
    session: Session, *, dossier: Dossier, actor: Actor, services: DomainServices, text: str,
    document_id: int | None,
) -> MessageOut:
    """Queue an official's free-text message to the applicant (with one of the dossier's documents, if named),
    signed with the agency's name, and record it in the control log and the audit trail."""
    document = _message_document(session, dossier=dossier, document_id=document_id)
    attachment = None
    if document is not None:
        # Too large or of a type Zalo does not take, it goes as this link: the dossier's page, where the
        # citizen opens it behind the second factor (workflows/lookup/downloads.py offers what was sent).
        attachment = Attachment(document_id=str(document.id), filename=document.filename,
                                url=services.lookup_url(dossier.code))
    now = services.clock.now()
    key = next_key(session, prefix=f"{dossier.code}:MSG:")
    body = official_text(session, dossier=dossier, actor=actor, services=services, text=text)
    message = notify_citizen(session, key=key, kind="official_message", code=dossier.code,
                             recipient_ref=recipient_ref(dossier), event="TIN_NHAN", text=body,
                             attachment=attachment, sender=actor.display_name, name=dossier.applicant_name,
                             status="Có tin nhắn từ cán bộ", cta_text="Xem hồ sơ",
                             cta_url=services.lookup_url(dossier.code), now=now)
    control_log.hand_over(session, dossier_id=dossier.id or 0, step="tin_nhan", step_name="Tin nhắn Zalo cho công dân",
                    at=now, from_actor=actor.display_name, from_unit=progress.unit_of(session, actor),
                    to_actor=dossier.applicant_name, to_unit="Tổ chức, cá nhân", due_at=None, note=text[:500])
    audit.record(session, actor=actor.username, action="dossier.message", at=now, dossier_code=dossier.code,
                 data={"document_id": document_id})
    if message is None:  # only on an exact duplicate key, which `next_key` rules out
        raise ValidationFailed("Tin nhắn đã được gửi.", code="duplicate_message")
    return MessageOut(id=message.id or 0, status=message.status, idempotency_key=key)


def official_text(session: Session, *, dossier: Dossier, actor: Actor, services: DomainServices, text: str) -> str:
    """The words the applicant reads for an official's message: signed with the writer's own agency (a
    commune desk's clerk writes for the commune, not for the Sở) and naming the dossier."""
    signed = forms.agency_name(session, code=actor.agency_code or dossier.agency_code, services=services)
    return f"[{signed}] Về hồ sơ {dossier.code}: {text.strip()}"


def preview(
    session: Session, *, dossier: Dossier, actor: Actor, services: DomainServices, text: str,
    document_id: int | None,
) -> MessagePreviewOut:
    """What `send` would queue, refused for the same reasons, nothing written: the exact text, and how the
    document would travel (as a file, a picture, or as a link to the lookup page with the words the citizen
    reads in its place)."""
    document = _message_document(session, dossier=dossier, document_id=document_id)
    out = MessagePreviewOut(text=official_text(session, dossier=dossier, actor=actor, services=services, text=text))
    if document is not None:
        route = uploads.route_for(document.filename, document.size)
        out.attachment = MessagePreviewAttachment(
            filename=document.filename, route=route.value,
            link_text=uploads.link_text(filename=document.filename, size=document.size,
                                        url=services.lookup_url(dossier.code)) if route == uploads.Route.LINK else None)
    return out


def _message_document(session: Session, *, dossier: Dossier, document_id: int | None) -> DossierDocument | None:
    if not dossier.notify_zalo:
        raise ValidationFailed("Người nộp hồ sơ chưa đồng ý nhận tin nhắn qua Zalo.", code="zalo_not_consented")
    if document_id is None:
        return None
    document = session.get(DossierDocument, document_id)
    if document is None or document.dossier_code != dossier.code:
        raise NotFound("Không tìm thấy giấy tờ của hồ sơ.", code="document_not_found")
    return document


STATUS_NAMES = {PENDING: "Đang chờ gửi", SENDING: "Đang gửi", SENT: "Đã gửi",
                UNREACHABLE: "Không gửi được: công dân không nhận được tin qua Zalo", DEAD: "Gửi thất bại"}
ZALO_FILE_TYPES = (".pdf", ".doc", ".docx")


def list_sent(session: Session, *, dossier: Dossier) -> list[MessageSentOut]:
    """The dossier's Zalo messages to the applicant in sending order, each with what did not arrive: an
    attachment Zalo refused (the text still went), or why the whole message did not go."""
    return [MessageSentOut(
        id=m.id or 0, kind=m.kind, event=str(m.payload.get("event") or ""), text=str(m.payload.get("text") or ""),
        status=m.status, status_name=STATUS_NAMES.get(m.status, m.status), channel_used=m.channel_used,
        created_at=m.created_at, sent_at=m.sent_at, delivered_at=m.delivered_at, seen_at=m.seen_at,
        problems=_problems(m),
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
    "zalo_notifications_stopped": "công dân đã tắt thông báo Zalo (nhắn DỪNG)",  # workflows/zalo/consent.py
    "unfollowed": "công dân đã bỏ quan tâm OA",
    "not_template_tester": "mẫu tin Zalo đang ở chế độ thử nghiệm (development), chỉ gửi được cho quản trị "
                           "viên của OA",
}


def _problems(message: OutboxMessage) -> list[str]:
    error = message.last_error or ""
    if message.status == UNREACHABLE:
        reason = UNREACHABLE_REASONS.get(error.split(":", 1)[0], f"Zalo không chuyển được tin ({error})")
        return [f"Tin nhắn không đến được công dân: {reason}."]
    if message.status == PENDING and error.startswith(WAITING):  # held back by Zalo's sending rules
        explanation = error.split(": ", 1)[-1].split(" [zalo", 1)[0]
        return [f"Tin nhắn chưa gửi: {explanation}"]
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
        elif line.startswith(ATTACHMENT_LINKED):
            filename, _, reason = line.removeprefix(ATTACHMENT_LINKED).partition(": ")
            problems.append(f"Tệp «{filename}» không gửi kèm được qua Zalo ({reason}): công dân nhận liên kết "
                            "đến trang tra cứu hồ sơ để xem và tải tệp sau khi nhập thông tin xác minh.")
    return problems


def _refusal(code: str, filename: str, detail: str) -> str:
    image = is_image(filename)
    if not image and not filename.lower().endswith(ZALO_FILE_TYPES):
        return "Zalo chỉ nhận tệp PDF, DOC, DOCX và ảnh JPG, PNG"
    if code == "-210":
        return "ảnh lớn hơn 1 MB, giới hạn của Zalo" if image else "tệp lớn hơn 5 MB, giới hạn của Zalo"
    return f"Zalo từ chối tệp ({detail})"
