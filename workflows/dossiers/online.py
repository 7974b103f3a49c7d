"""Dossiers submitted online: pushed by DVCQG (the national `MaHoSo` kept as our code) or sent from our own
citizen page. Both start the procedure's process at reception like a desk dossier (`service.start`:
national status 1, channel "online", "Nộp hồ sơ" on Zalo with consent); the one-stop clerk then accepts,
asks for a supplement or refuses. A supplement sent online completes the waiting `nhan_bo_sung` step.

Files are fetched before anything is written (a link that cannot be read refuses the whole push) through
the injected `fetch` (the API passes `connectors.dvcqg.inbound.fetch_file`), checked like a clerk's upload
and stored encrypted in the documents store. Functions flush; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sqlmodel import Session, col, select

from connectors.dvcqg.inbound import FileFetchFailed, OnlineSubmission, SubmittedFile, SupplementSubmission
from engine import Engine
from engine.models import WorkItem
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import to_local
from workflows.core.errors import MotcuaError, NotFound, ValidationFailed
from workflows.core.text import search_key
from workflows.documents import service as store_service
from workflows.dossiers import control_log, fees, routing, transitions
from workflows.dossiers.codes import new_code
from workflows.dossiers.models import Dossier
from workflows.dossiers.service import start
from workflows.dossiers.statuses import NATIONAL, SubStatus
from workflows.identity.actor import SYSTEM, Actor
from workflows.identity.models import Department
from workflows.privacy import InvalidPersonalData, normalize_id_number, normalize_phone
from workflows.procedures.models import ProcedureVersion
from workflows.procedures.service import list_current
from workflows.process import service as process

Fetch = Callable[[str], bytes]
SUPPLEMENT_NOTE = "Công dân bổ sung hồ sơ trực tuyến qua Cổng Dịch vụ công quốc gia"
CITIZEN_UNIT = "Công dân (nộp trực tuyến)"


@dataclass(frozen=True)
class Received:
    dossier: Dossier
    created: bool  # False: the same push again (nothing written)


@dataclass(frozen=True)
class _File:
    name: str
    component_code: str | None
    media_type: str
    content: bytes


def fingerprint(submission: OnlineSubmission) -> str:
    """What identifies a push's content (files by their link or bytes' hash): the same MaHoSo sent again
    with another fingerprint is refused."""
    data = asdict(submission)
    data["submitted_at"] = submission.submitted_at.isoformat()
    data["files"] = [{"name": f.name, "component": f.component_code, "url": f.url,
                      "sha": hashlib.sha256(f.content).hexdigest() if f.content is not None else None}
                     for f in submission.files]
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def offered_online(procedure: ProcedureVersion) -> bool:
    """A procedure the province offers online: it has its national code (CSDLQG về TTHC)."""
    return bool(procedure.national_code)


def procedures_online(session: Session) -> list[ProcedureVersion]:
    return [p for p in list_current(session) if offered_online(p)]


def procedure_by_national_code(session: Session, *, national_code: str) -> ProcedureVersion:
    version = session.exec(select(ProcedureVersion).where(
        ProcedureVersion.national_code == national_code, col(ProcedureVersion.active).is_(True))).first()
    if version is None:
        raise ValidationFailed(
            f"Thủ tục hành chính có mã {national_code} không do cơ quan này giải quyết hoặc chưa được cấu hình.",
            code="procedure_not_found",
            errors=[{"field": "MaTTHC", "message": f"Mã thủ tục hành chính (MaTTHC): không có thủ tục "
                                                  f"{national_code} trong danh mục của cơ quan."}])
    return version


def _department(session: Session, *, actor: Actor, fallback_code: str | None) -> Department:
    department = session.get(Department, actor.department_id) if actor.department_id is not None else None
    if department is None and fallback_code:
        department = session.exec(select(Department).where(Department.code == fallback_code)).first()
    if department is None:
        raise ValidationFailed("Chưa cấu hình phòng tiếp nhận hồ sơ trực tuyến (khóa API của bộ chuyển đổi "
                               "chưa gắn với phòng nào).", code="no_department")
    return department


def _personal(normalize: Callable[[str], str], value: str | None, field: str, label: str) -> str | None:
    if not value:
        return None
    try:
        return normalize(value)
    except InvalidPersonalData as exc:
        raise exc.on(field, label) from None


def _fetch_all(files: Sequence[SubmittedFile], *, fetch: Fetch, max_bytes: int) -> list[_File]:
    """Every file's bytes, checked like an upload; the first failure refuses the whole push."""
    out = []
    for f in files:
        pushed = f.field.startswith("TaiLieuNop")  # DVCQG's push; else our page's `files[i]`
        where = f.field if not pushed else f"{f.field}.DuongDanTaiTepTin" if f.url else f"{f.field}.NoiDungTepTin"
        if f.content is not None:
            content = f.content
        else:
            try:
                content = fetch(f.url or "")
            except FileFetchFailed as exc:
                raise ValidationFailed(f"Không tải được tệp “{f.name}”: {exc}.", code="file_unfetchable", errors=[
                    {"field": where, "message": f"Đường dẫn tệp (DuongDanTaiTepTin): không tải được tệp "
                                                f"“{f.name}” ({exc})."}]) from None
        try:
            media_type = store_service.validate_upload(filename=f.name, media_type="", content=content,
                                                       max_bytes=max_bytes)
        except MotcuaError as exc:
            raise ValidationFailed(f"Tệp “{f.name}”: {exc.detail}", code="file_refused", errors=[
                {"field": where, "message": f"Tệp “{f.name}”: {exc.detail}"}]) from None
        out.append(_File(name=f.name, component_code=f.component_code, media_type=media_type, content=content))
    return out


def _store(session: Session, *, services: DomainServices, dossier: Dossier, files: Sequence[_File],
           actor: Actor, note_prefix: str) -> list[int]:
    now = services.clock.now()
    ids = []
    for f in files:
        document = store_service.store_document(
            session, store=services.store, dossier_code=dossier.code, kind="upload", filename=f.name,
            media_type=f.media_type, content=f.content, created_by=actor.username, now=now,
            note=f"{note_prefix}{f' – thành phần {f.component_code}' if f.component_code else ''}")
        ids.append(document.id or 0)
    return ids


def receive_online(
    session: Session, *, engine: Engine, services: DomainServices, submission: OnlineSubmission, actor: Actor,
    fetch: Fetch, department_code: str | None = None, procedure_code: str | None = None,
    facts: dict[str, str | int] | None = None,
) -> Received:
    """Register an online dossier and start its process at reception. From DVCQG (`from_dvcqg`) the national
    MaHoSo is its code and the push is idempotent: the same MaHoSo with the same content answers the dossier
    already made; with other content it is refused. From our citizen page (`procedure_code`: our code of a
    procedure offered online; `facts`: its intake fields) a code is given here."""
    from_dvcqg = procedure_code is None
    if facts is None and submission.facts:
        facts = dict(submission.facts)  # declared on the DVCQG form (ThongTinKeKhai)
    now = services.clock.now()
    digest = fingerprint(submission)
    if from_dvcqg:
        existing = session.exec(select(Dossier).where(Dossier.code == submission.national_code)).first()
        if existing is not None:
            if existing.dvcqg_push_sha256 == digest:
                return Received(dossier=existing, created=False)
            raise ValidationFailed(
                f"Hồ sơ {submission.national_code} đã được tiếp nhận với nội dung khác.", code="dossier_exists",
                errors=[{"field": "MaHoSo", "message": f"Mã hồ sơ (MaHoSo): {submission.national_code} đã tồn tại "
                                                      "với nội dung khác."}])
        procedure = procedure_by_national_code(session, national_code=submission.procedure_national_code)
    else:
        procedure = session.exec(select(ProcedureVersion).where(
            ProcedureVersion.code == procedure_code, col(ProcedureVersion.active).is_(True))).first()
        if procedure is None or not offered_online(procedure):
            raise ValidationFailed("Thủ tục này không nhận hồ sơ trực tuyến.", code="procedure_not_online", errors=[
                {"field": "procedure_code", "message": "Thủ tục hành chính: không nhận hồ sơ trực tuyến."}])
    desk = _department(session, actor=actor, fallback_code=department_code)
    route = routing.route(session, procedure=procedure, desk=desk, field="MaTTHC" if from_dvcqg else "procedure_code")
    id_number = _personal(normalize_id_number, submission.id_number, "DinhDanhCHS[0].SoDinhDanh",
                          "Số định danh chủ hồ sơ (SoDinhDanh)")
    phone = _personal(normalize_phone, submission.phone, "SoDienThoai", "Số điện thoại (SoDienThoai)")
    if submission.zalo_consent and phone is None:
        raise ValidationFailed("Cần số điện thoại để gửi thông báo qua Zalo.", errors=[
            {"field": "SoDienThoai", "message": "Số điện thoại (SoDienThoai): cần có để nhận thông báo qua Zalo."}])
    files = _fetch_all(submission.files, fetch=fetch, max_bytes=services.settings.dvcqg.inbound.max_file_bytes)
    settings, cipher = services.settings, services.cipher
    code = submission.national_code if from_dvcqg else new_code(
        session, template=settings.dossier_code_format, agency_code=route.received_agency_code,
        day=to_local(now).date())
    documents = [{"name": f.name, "count": 1, "kind": "Bản điện tử"} for f in files]
    dossier = Dossier(
        code=code, agency_code=route.agency_code, department_id=route.department.id or 0,
        received_agency_code=route.received_agency_code, received_department_id=route.received_department.id or 0,
        current_agency_code=route.received_agency_code,
        procedure_version_id=procedure.id or 0, procedure_code=procedure.code, process_key=procedure.process_key,
        channel="online", status=transitions.INITIAL.value, national_status=NATIONAL[transitions.INITIAL],
        applicant_kind=submission.applicant_kind, applicant_name=submission.applicant_name,
        applicant_name_search=search_key(submission.applicant_name),
        applicant_id_enc=cipher.encrypt(id_number) if id_number else None,
        applicant_id_hash=cipher.lookup_hash("id_number", id_number) if id_number else None,
        applicant_phone_enc=cipher.encrypt(phone) if phone else None,
        applicant_phone_hash=cipher.lookup_hash("phone", phone) if phone else None,
        applicant_email_enc=cipher.encrypt(submission.email) if submission.email else None,
        applicant_address_enc=cipher.encrypt(submission.address) if submission.address else None,
        documents=documents, notify_zalo=submission.zalo_consent, result_delivery="truc_tuyen",
        dvcqg_push_sha256=digest if from_dvcqg else None,
        intake_facts=fees.check_facts(procedure.intake_fields or [], facts) or None if facts else None,
        zalo_consent_at=now if submission.zalo_consent else None,
        submitted_at=submission.submitted_at if from_dvcqg else now, created_by=actor.username,
        created_at=now, updated_at=now, submitted_on_dvcqg=from_dvcqg, vneid_verified=submission.vneid_verified,
        applicant_tech_id=submission.tech_id,
    )
    # Stored before the process starts: the clerk's reception task already sees the files.
    session.add(dossier)
    session.flush()
    stored = _store(session, services=services, dossier=dossier, files=files, actor=actor,
                    note_prefix="Nộp trực tuyến qua Cổng Dịch vụ công quốc gia" if from_dvcqg else "Nộp trực tuyến")
    start(session, engine=engine, services=services, actor=actor, dossier=dossier, procedure=procedure, now=now,
          audit_data={"submitted_on_dvcqg": from_dvcqg, "documents": stored})
    return Received(dossier=dossier, created=True)


def receive_supplement(
    session: Session, *, engine: Engine, services: DomainServices, supplement: SupplementSubmission,
    actor: Actor, fetch: Fetch,
) -> Dossier:
    """Files a citizen sends online for a dossier waiting for a supplement: stored, then the waiting
    `nhan_bo_sung` step is completed by the system so the dossier returns to reception."""
    dossier = session.exec(select(Dossier).where(Dossier.code == supplement.national_code)).first()
    if dossier is None or dossier.channel != "online":
        raise NotFound(f"Không có hồ sơ trực tuyến {supplement.national_code}.", code="dossier_not_found")
    item = session.exec(select(WorkItem).where(
        WorkItem.business_key == dossier.code, WorkItem.element_id == "nhan_bo_sung",
        col(WorkItem.completed_at).is_(None))).first() if dossier.status == SubStatus.CHO_BO_SUNG.value else None
    if item is None:
        raise ValidationFailed(f"Hồ sơ {dossier.code} không ở trạng thái chờ bổ sung nên không nhận hồ sơ bổ sung.",
                               code="not_waiting_for_supplement", errors=[
                                   {"field": "MaHoSo", "message": f"Mã hồ sơ (MaHoSo): hồ sơ {dossier.code} không "
                                                                  "chờ bổ sung."}])
    files = _fetch_all(supplement.files, fetch=fetch, max_bytes=services.settings.dvcqg.inbound.max_file_bytes)
    now = services.clock.now()
    stored = _store(session, services=services, dossier=dossier, files=files, actor=actor,
                    note_prefix="Hồ sơ bổ sung trực tuyến")
    control_log.hand_over(
        session, dossier_id=dossier.id or 0, step="bo_sung_truc_tuyen", step_name="Nộp hồ sơ bổ sung trực tuyến",
        at=now, from_actor=dossier.applicant_name, from_unit=CITIZEN_UNIT, to_actor=None,
        to_unit="Bộ phận Một cửa", due_at=None, note=supplement.note)
    process.complete(session, engine=engine, services=services, actor=SYSTEM, work_item_id=item.id,
                     data={"da_bo_sung": True, "ghi_chu": SUPPLEMENT_NOTE})
    audit.record(session, actor=actor.username, action="dossier.supplement_online", at=now,
                 dossier_code=dossier.code, data={"documents": stored})
    session.flush()
    return dossier
