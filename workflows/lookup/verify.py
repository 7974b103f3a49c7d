"""`POST /api/v1/public/verify`: is this file a document we issued, unchanged, and who signed it when?

- issued: its SHA-256 is that of a result or form we stored (the bytes we handed out, to the byte);
- unchanged: every signature in it is intact, valid, chains to a trusted root and covers the whole file;
- signed by: as each certificate names the signer (full name, title, agency) and the time the timestamp
  authority vouches for.
The answer names the document (its kind and dossier code, which the document itself prints) and its signers,
nothing else about the dossier or the applicant."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from workflows.collaborators import DomainServices
from workflows.core.errors import PayloadTooLarge, ValidationFailed
from workflows.documents.context import FormCode
from workflows.documents.models import DocumentKind, DocumentSignature, DossierDocument
from workflows.lookup.schemas import VerifiedSignature, VerifyResult
from workflows.signing import load_signers

if TYPE_CHECKING:
    from workflows.signing.pades import SignatureReport

ISSUED_KINDS = (DocumentKind.RESULT.value, DocumentKind.FORM.value)
KIND_NAMES = {DocumentKind.RESULT.value: "Kết quả giải quyết thủ tục hành chính",
              DocumentKind.FORM.value: "Biểu mẫu của Bộ phận Một cửa"}


def verify(session: Session, *, services: DomainServices, content: bytes, max_bytes: int) -> VerifyResult:
    """What `content` is (see the module). ValidationFailed for an empty file, PayloadTooLarge over
    `max_bytes`."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"Tệp lớn hơn {max_bytes // (1024 * 1024)} MB.",
                              errors=[{"field": "file", "message": "Tệp: quá dung lượng cho phép."}])
    if not content:
        raise ValidationFailed("Tệp gửi lên rỗng.", errors=[{"field": "file", "message": "Tệp: không có nội dung."}])
    signers = load_signers()  # pyHanko loads on the first verification
    digest = hashlib.sha256(content).hexdigest()
    document = session.exec(select(DossierDocument).where(
        DossierDocument.sha256 == digest, col(DossierDocument.kind).in_(ISSUED_KINDS))
        .order_by(col(DossierDocument.id))).first()
    try:
        reports = signers.pades.validate(content, trust_roots=signers.trust_roots(services.settings)) \
            if content.startswith(b"%PDF-") else []
    except ValueError:
        reports = []
    signatures = [VerifiedSignature(
        signer_name=r.signer_name, signer_title=r.signer_title, organization=r.organization,
        signed_at=r.signed_at, timestamped=r.timestamped, intact=r.intact and r.valid, trusted=r.trusted,
        covers_whole_file=r.covers_whole_file) for r in reports]
    unchanged = bool(reports) and all(r.intact and r.valid and r.trusted for r in reports) and \
        reports[-1].covers_whole_file
    recorded = None
    if document is not None and document.id is not None:
        recorded = session.exec(select(DocumentSignature).where(DocumentSignature.document_id == document.id)
                                .order_by(col(DocumentSignature.id).desc())).first()
    return VerifyResult(
        issued=document is not None, unchanged=unchanged, signed=bool(reports),
        sha256=digest, kind=_kind_name(document) if document else None,
        dossier_code=document.dossier_code if document else None,
        issued_at=document.created_at if document else None,
        signer_name=recorded.signer_name if recorded else (reports[-1].signer_name if reports else None),
        signer_title=recorded.signer_title if recorded else (reports[-1].signer_title if reports else None),
        signed_at=_signed_at(recorded, reports),
        signatures=signatures, message=_message(document is not None, unchanged, bool(reports)))


def _kind_name(document: DossierDocument) -> str:
    """ "Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả" for a form, else the kind's name."""
    if document.form_code:
        form = FormCode(document.form_code)
        return f"{form.label}: {form.title_vi}"
    return KIND_NAMES.get(document.kind, document.kind)


def _signed_at(recorded: DocumentSignature | None, reports: list[SignatureReport]) -> datetime | None:
    if reports and reports[-1].signed_at is not None:
        return reports[-1].signed_at
    return recorded.signed_at if recorded else None


def _message(issued: bool, unchanged: bool, signed: bool) -> str:
    if issued and unchanged:
        return "Văn bản do cơ quan ban hành, chữ ký số hợp lệ và văn bản chưa bị thay đổi."
    if issued:
        return "Văn bản do cơ quan ban hành (không mang chữ ký số)." if not signed else \
            "Văn bản do cơ quan ban hành nhưng chữ ký số không hợp lệ."
    if signed and unchanged:
        return "Chữ ký số hợp lệ nhưng văn bản này không có trong hệ thống của cơ quan."
    if signed:
        return "Văn bản đã bị thay đổi sau khi ký hoặc chữ ký số không hợp lệ; không phải văn bản do cơ quan " \
               "ban hành."
    return "Không phải văn bản do cơ quan ban hành (không khớp văn bản nào đã phát hành, không có chữ ký số)."
