"""The status and progress sync with the national portal (DVCQG, NATIONAL_PORTAL.md §1.3–1.5).

Captured in the dossier's own transaction, sent after commit by the `dvcqg` outbox relay:
- every change of national status (and the first one, status 1, when the process starts) queues a
  `DongBoHoSoMC` snapshot of the dossier (`status_changed`, called by `operators.apply_status` once the
  change and its clock rules are done, so the snapshot carries the dates the change set);
- every hand-over of a processing step queues a `CapNhatTienDoHoSoMC` entry (`hand_over`, called by
  `control_log.hand_over`).

Rows are ordered per dossier (`subject_ref` `dvcqg:<code>`, apart from the Zalo messages) and keyed
`dvcqg:<code>:status:<n>` / `dvcqg:<code>:progress:<control-log id>`, so a change is queued once. The
payloads hold no phone or ID number (`DvcqgApplicants` reads them at send time) and no links: the files
are named by id and `file_link` signs a fresh, expiring URL at each send (`GET /api/v1/dvcqg/files/{token}`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, col, func, select

from connectors.dvcqg.sender import CHANNEL, DONG_BO, TIEN_DO, DvcqgRecipient
from connectors.dvcqg.wire import (
    DossierRecord,
    FeeItem,
    ProgressEntry,
    ResultDocument,
    SubmittedFile,
    SupplementRound,
)
from connectors.outbox import DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage, enqueue, requeue_where
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.config import Settings
from workflows.core.errors import Conflict, NotFound
from workflows.documents.models import DocumentKind, DossierDocument
from workflows.dossiers import fees as fee_rules
from workflows.dossiers import forms
from workflows.dossiers.models import ControlLogEntry, Dossier
from workflows.dossiers.queries import dossier_by_code
from workflows.identity import naming
from workflows.privacy import PersonalDataCipher
from workflows.procedures.service import get_version

SUPPLEMENT = 5  # Yêu cầu bổ sung giấy tờ
REFUSED = 3  # Không được tiếp nhận: NgayTuChoi
LINK_PURPOSE = b"motcua.dvcqg.file-link.v1"


def subject_ref(code: str) -> str:
    return f"dvcqg:{code}"


def enabled(services: DomainServices) -> bool:
    return services.settings.dvcqg.sync.enabled


# --- capture ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Supplement:
    """What a supplement request asks for (the deciding form's list or text, its reason, who asked)."""

    items: tuple[str, ...] = ()
    reason: str = ""
    actor: str | None = None


def status_changed(
    session: Session, *, dossier: Dossier, old_national: int, services: DomainServices, now: datetime,
    supplement: Supplement | None = None,
) -> OutboxMessage | None:
    """Queue a `DongBoHoSoMC` snapshot when the national status changed, or when the dossier was never
    synced (the create, status 1 at the start of its process). None when nothing is queued.

    The supplement rounds (`DanhSachHoSoBoSung`) are carried from the dossier's previous snapshot: entering
    status 5 opens a round (what `supplement` asks for, the appointment before), leaving it closes the
    open round (received now, the new appointment)."""
    if not enabled(services):
        return None
    synced = _count(session, code=dossier.code, kind=DONG_BO)
    if synced and old_national == dossier.national_status:
        return None
    rounds = _rounds(session, dossier=dossier, old_national=old_national, supplement=supplement, now=now)
    record = replace(snapshot(session, dossier=dossier, services=services), supplements=rounds)
    return enqueue(session, idempotency_key=f"dvcqg:{dossier.code}:status:{synced + 1}", kind=DONG_BO,
                   subject_ref=subject_ref(dossier.code), recipient_ref=dossier.code, channel=CHANNEL,
                   payload={"record": record.to_payload(), "first": synced == 0,
                            "madonvi": madonvi(session, dossier=dossier)}, now=now)


def madonvi(session: Session, *, dossier: Dossier) -> str | None:
    """The mã định danh the dossier's calls carry: the receiving agency's, whose code starts its MaHoSo;
    None (the adapter's configured one) for an agency not in the list."""
    agency = forms.agency(session, dossier.received_agency_code)
    return agency.national_code if agency is not None else None


def hand_over(
    session: Session, *, entry: ControlLogEntry, title: str | None, services: DomainServices,
    started_at: datetime | None = None,
) -> OutboxMessage | None:
    """Queue the `CapNhatTienDoHoSoMC` entry of one control-log row (a hand-over by an official). Its
    NgayBatDau is `started_at` (the completed work item's opening), else the dossier's previous row's time."""
    if not enabled(services):
        return None
    dossier = session.get(Dossier, entry.dossier_id)
    if dossier is None:
        return None
    session.flush()  # the row's id names the outbox key
    started = started_at or session.exec(
        select(func.max(ControlLogEntry.at)).where(ControlLogEntry.dossier_id == entry.dossier_id,
                                                   col(ControlLogEntry.id) < entry.id)).one()
    progress = ProgressEntry(
        code=dossier.code, official_name=entry.from_actor or "", title=title or "", unit=entry.from_unit or "",
        content=entry.step_name, status=dossier.national_status, at=entry.at, started_at=started,
        due_at=entry.due_at)
    return enqueue(session, idempotency_key=f"dvcqg:{dossier.code}:progress:{entry.id}", kind=TIEN_DO,
                   subject_ref=subject_ref(dossier.code), recipient_ref=dossier.code, channel=CHANNEL,
                   payload={"entry": progress.to_payload(), "madonvi": madonvi(session, dossier=dossier)},
                   now=entry.at)


def _rounds(
    session: Session, *, dossier: Dossier, old_national: int, supplement: Supplement | None, now: datetime,
) -> tuple[SupplementRound, ...]:
    previous = session.exec(
        select(OutboxMessage).where(OutboxMessage.subject_ref == subject_ref(dossier.code),
                                    OutboxMessage.kind == DONG_BO)
        .order_by(col(OutboxMessage.sequence).desc(), col(OutboxMessage.id).desc()).limit(1)).first()
    rounds = list(DossierRecord.from_payload(previous.payload["record"]).supplements) if previous else []
    if (old_national == SUPPLEMENT and dossier.national_status != SUPPLEMENT and rounds
            and rounds[-1].received_at is None):
        rounds[-1] = replace(rounds[-1], received_at=now, new_due_at=dossier.due_at)
    if dossier.national_status == SUPPLEMENT and old_national != SUPPLEMENT:
        asked = supplement or Supplement()
        person = naming.describe(session, username=asked.actor) if asked.actor else None
        content = "; ".join(asked.items) or asked.reason or "Bổ sung, hoàn thiện hồ sơ"
        rounds.append(SupplementRound(
            round_id=f"{dossier.code}-BS{len(rounds) + 1}", requested_by=person.full_name if person else "",
            content=content, requested_at=now, items=asked.items, previous_due_at=dossier.due_at))
    return tuple(rounds)


def _count(session: Session, *, code: str, kind: str) -> int:
    return int(session.exec(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.subject_ref == subject_ref(code), OutboxMessage.kind == kind)).one())


# --- the snapshot ----------------------------------------------------------------------------------------------


def snapshot(session: Session, *, dossier: Dossier, services: DomainServices) -> DossierRecord:
    """The dossier as DVCQG records it now, without personal numbers and links (filled at send time)."""
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    documents = list(session.exec(select(DossierDocument).where(DossierDocument.dossier_code == dossier.code)
                                  .order_by(col(DossierDocument.id))).all())
    finished = dossier.finished_at
    return DossierRecord(
        code=dossier.code, procedure_code=procedure.national_code or procedure.code,
        procedure_name=procedure.name, field_name=procedure.field, channel=dossier.channel,
        applicant_name=dossier.applicant_name, applicant_kind=dossier.applicant_kind,
        applicant_tech_id=dossier.applicant_tech_id,
        status=dossier.national_status, submitted_at=dossier.submitted_at,
        agency_name=forms.agency_name(session, code=dossier.agency_code, services=services),
        summary=f"{procedure.name} — {dossier.applicant_name}",
        received_at=dossier.accepted_at, due_at=dossier.due_at,
        refused_at=finished if dossier.national_status == REFUSED else None,
        finished_at=finished, returned_at=dossier.returned_at,
        result_by_post=dossier.result_delivery == "buu_chinh",
        submitted_on_dvcqg=dossier.submitted_on_dvcqg,
        vneid_verified=dossier.vneid_verified,
        paid_online=dossier.paid_online,
        files=tuple(SubmittedFile(file_id=d.id or 0, name=d.filename) for d in documents
                    if d.kind == DocumentKind.UPLOAD),
        fees=tuple(FeeItem(name=str(f.get("name") or ""), amount=int(f.get("amount") or 0))
                   for f in (fee_rules.applicable(procedure.fees, dossier.intake_facts) or [])),
        results=tuple(ResultDocument(file_id=d.id or 0, name=procedure.result or d.filename)
                      for d in documents if d.kind == DocumentKind.RESULT),
    )


# --- at send time ----------------------------------------------------------------------------------------------


class DvcqgApplicants:
    """The relay's `resolve_recipient` for the `dvcqg` channel: the dossier (its code is the row's
    `recipient_ref`) with the applicant's phone and ID number decrypted for the call only."""

    def __init__(self, db: DbEngine, cipher: PersonalDataCipher) -> None:
        self._db = db
        self._cipher = cipher

    def __call__(self, recipient_ref: str) -> DvcqgRecipient | None:
        with Session(self._db) as session:
            dossier = dossier_by_code(session, recipient_ref)
            if dossier is None:
                return None
            phone = self._cipher.decrypt(dossier.applicant_phone_enc) if dossier.applicant_phone_enc else None
            id_number = self._cipher.decrypt(dossier.applicant_id_enc) if dossier.applicant_id_enc else None
            return DvcqgRecipient(zalo_user_id=None, phone_84=None, display_name=dossier.applicant_name,
                                  phone=phone, id_number=id_number)


def _sign(settings: Settings, body: str) -> str:
    key = hashlib.sha256(LINK_PURPOSE + settings.auth.secret_key.get_secret_value().encode()).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def file_link(settings: Settings, *, document_id: int, now: datetime) -> str:
    """A signed URL DVCQG can fetch a dossier file from until it expires (`dvcqg.sync.link_ttl_hours`). The
    URL names the file by id and expiry only: nothing personal, unguessable without the key."""
    expires = int((now + timedelta(hours=settings.dvcqg.sync.link_ttl_hours)).timestamp())
    body = f"{document_id}.{expires}"
    return f"{settings.public_base_url.rstrip('/')}/api/v1/dvcqg/files/{body}.{_sign(settings, body)}"


def read_link(settings: Settings, *, token: str, now: datetime) -> int:
    """The document id of a valid, unexpired link token; NotFound otherwise (the same answer for a forged,
    an expired and an unknown link)."""
    parts = token.split(".")
    gone = NotFound("Liên kết tệp không hợp lệ hoặc đã hết hạn.", code="file_link_invalid")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise gone
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_sign(settings, body), parts[2]) or int(parts[1]) < now.timestamp():
        raise gone
    return int(parts[0])


def sync_items(session: Session, *, code: str) -> list[OutboxMessage]:
    """The dossier's DVCQG rows in sending order (the officials' view)."""
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref == subject_ref(code))
                             .order_by(col(OutboxMessage.sequence), col(OutboxMessage.id))).all())


def describe(message: OutboxMessage) -> dict[str, Any]:
    return {"id": message.id, "kind": message.kind, "status": message.status, "attempts": message.attempts,
            "last_error": message.last_error, "sent_at": message.sent_at, "created_at": message.created_at,
            "dossier_code": message.recipient_ref}


# --- administrators and officials --------------------------------------------------------------------------


KIND_NAMES = {DONG_BO: "Đồng bộ hồ sơ (DongBoHoSoMC)", TIEN_DO: "Cập nhật tiến độ (CapNhatTienDoHoSoMC)"}
STATUS_NAMES = {PENDING: "Đang chờ gửi", SENDING: "Đang gửi", SENT: "Đã đồng bộ", DEAD: "Đồng bộ thất bại",
                UNREACHABLE: "Không tìm thấy hồ sơ"}
SyncState = Literal["pending", "sending", "sent", "dead", "unreachable"]
RESENDABLE = (PENDING, DEAD, UNREACHABLE)
RESEND_ACTION = "dvcqg.sync.resend"


class SyncItemOut(BaseModel):
    id: int
    dossier_code: str
    kind: str
    kind_name: str
    status: str
    status_name: str
    national_status: int | None
    attempts: int
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    sent_at: datetime | None


def item_out(message: OutboxMessage) -> SyncItemOut:
    payload = message.payload or {}
    body = payload.get("record") or payload.get("entry") or {}
    national = body.get("status")
    return SyncItemOut(
        id=message.id or 0, dossier_code=message.recipient_ref, kind=message.kind,
        kind_name=KIND_NAMES.get(message.kind, message.kind), status=message.status,
        status_name=STATUS_NAMES.get(message.status, message.status),
        national_status=int(national) if national is not None else None, attempts=message.attempts,
        last_error=message.last_error, created_at=message.created_at, last_attempt_at=message.last_attempt_at,
        sent_at=message.sent_at)


def for_dossier(session: Session, *, dossier: Dossier) -> list[SyncItemOut]:
    """The dossier's DVCQG rows in sending order (the officials who may view the dossier)."""
    return [item_out(m) for m in sync_items(session, code=dossier.code)]


def list_items(session: Session, *, status: SyncState | None, page: int, page_size: int
               ) -> tuple[list[SyncItemOut], int]:
    """Every dossier's DVCQG rows in a state (all states when None), newest first (administrators)."""
    where = [OutboxMessage.channel == CHANNEL]
    if status is not None:
        where.append(OutboxMessage.status == status)
    total = int(session.exec(select(func.count()).select_from(OutboxMessage).where(*where)).one())
    rows = session.exec(select(OutboxMessage).where(*where).order_by(col(OutboxMessage.id).desc())
                        .offset((page - 1) * page_size).limit(page_size)).all()
    return [item_out(m) for m in rows], total


def resend(session: Session, *, item_id: int, actor: str, now: datetime) -> SyncItemOut:
    """Send a dead (or waiting) row again once its cause is fixed, in the caller's transaction; audited.
    NotFound for no such DVCQG row; Conflict for a row being sent or already sent."""
    message = session.get(OutboxMessage, item_id)
    if message is None or message.channel != CHANNEL:
        raise NotFound("Không tìm thấy mục đồng bộ DVCQG.", code="dvcqg_sync_not_found")
    if not requeue_where(session, statuses=RESENDABLE, now=now, message_id=item_id):
        session.refresh(message)
        if message.status == SENDING:
            raise Conflict("Mục đồng bộ đang được gửi, không thể gửi lại lúc này.", code="dvcqg_sync_in_flight")
        raise Conflict("Mục đồng bộ đã được gửi thành công, không gửi lại.", code="dvcqg_sync_already_sent")
    audit.record(session, actor=actor, action=RESEND_ACTION, at=now, dossier_code=message.recipient_ref,
                 data={"item_id": item_id})
    session.refresh(message)
    return item_out(message)


def counts(session: Session) -> dict[str, int]:
    """Rows per state of the `dvcqg` channel (readiness)."""
    rows = session.exec(select(OutboxMessage.status, func.count()).where(OutboxMessage.channel == CHANNEL)
                        .group_by(OutboxMessage.status)).all()
    return {str(status): int(n) for status, n in rows}
