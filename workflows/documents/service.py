"""Documents of a dossier: store (bytes to the FileStore, a row to `dossier_document`), list, read back
with the checksum verified, and validate citizens' uploads. Functions flush, never commit."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from datetime import datetime

from sqlmodel import Session, col, select

from workflows.core.clock import ensure_utc
from workflows.core.errors import NotFound, PayloadTooLarge, ValidationFailed
from workflows.documents.context import FormCode, FormContext
from workflows.documents.models import ERASED, DocumentKind, DossierDocument
from workflows.documents.render import render_form
from workflows.documents.storage import FileStore, StoredFileCorrupted

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Media type -> extensions accepted for it.
ALLOWED_UPLOADS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    DOCX: (".docx",),
}
_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def store_document(
    session: Session,
    *,
    store: FileStore,
    dossier_code: str,
    kind: DocumentKind | str,
    filename: str,
    media_type: str,
    content: bytes,
    created_by: str,
    now: datetime,
    form_code: FormCode | str | None = None,
    note: str | None = None,
) -> DossierDocument:
    """Write `content` to the store and record it against the dossier. A form needs its `form_code`.
    The bytes are written before the row: if the transaction rolls back, an unreferenced (content-
    addressed, hence harmless) file stays behind, never a row without its file."""
    kind = DocumentKind(kind)
    code = FormCode(form_code).value if form_code is not None else None
    if kind is DocumentKind.FORM and code is None:
        raise ValueError("a document of kind 'form' needs its form_code")
    stored = store.put(content)
    document = DossierDocument(
        dossier_code=dossier_code,
        kind=kind.value,
        form_code=code,
        filename=safe_filename(filename),
        media_type=media_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        created_at=ensure_utc(now),
        created_by=created_by,
        note=note,
    )
    session.add(document)
    session.flush()
    return document


def store_form(
    session: Session, *, store: FileStore, form: FormCode, ctx: FormContext, created_by: str, now: datetime,
    note: str | None = None,
) -> DossierDocument:
    """Render `form` from `ctx` and store it as a document of `ctx.dossier_code`
    (filename `mau-01-<dossier code>.pdf`)."""
    if not ctx.dossier_code:
        raise ValueError("store_form needs ctx.dossier_code")
    content = render_form(form, ctx)
    return store_document(
        session, store=store, dossier_code=ctx.dossier_code, kind=DocumentKind.FORM, form_code=form,
        filename=f"mau-{form.number}-{ctx.dossier_code}.pdf", media_type=PDF, content=content,
        created_by=created_by, now=now, note=note,
    )


def list_documents(session: Session, *, dossier_code: str) -> list[DossierDocument]:
    """The dossier's documents, oldest first."""
    statement = (
        select(DossierDocument)
        .where(DossierDocument.dossier_code == dossier_code)
        .order_by(col(DossierDocument.created_at), col(DossierDocument.id))
    )
    return list(session.exec(statement))


def read_document(
    session: Session, *, store: FileStore, dossier_code: str, document_id: int
) -> tuple[DossierDocument, bytes]:
    """The document and its bytes. NotFound when there is no such document in this dossier (a document
    of another dossier is reported the same way, so ids cannot be probed); StoredFileCorrupted when the
    bytes no longer match the recorded checksum."""
    document = session.get(DossierDocument, document_id)
    if document is None or document.dossier_code != dossier_code:
        raise NotFound("Không tìm thấy tài liệu này trong hồ sơ.", code="document_not_found")
    if document.storage_key == ERASED:
        raise NotFound("Tệp này đã được xóa khi hết thời hạn lưu trữ hồ sơ.", code="document_erased")
    content = store.open(document.storage_key)  # verifies the bytes against the key (their SHA-256)
    if document.sha256 != document.storage_key or len(content) != document.size:
        raise StoredFileCorrupted()
    return document, content


def validate_upload(*, filename: str, media_type: str, content: bytes, max_bytes: int) -> str:
    """Check a citizen's upload and return its normalised media type: PDF, JPEG, PNG or DOCX, at most
    `max_bytes`, an extension that fits the type, and content that really is of that type (magic
    bytes; read from the content when the client declared none or `application/octet-stream`). Store the
    returned type, never the declared one. Raises PayloadTooLarge or ValidationFailed with a Vietnamese explanation."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"Tệp “{safe_filename(filename)}” có dung lượng {_megabytes(len(content))}, vượt quá giới hạn "
            f"{_megabytes(max_bytes)}.",
            errors=[{"field": "file", "message": f"Tệp: không được lớn hơn {_megabytes(max_bytes)}."}],
        )
    if not content:
        raise ValidationFailed("Tệp gửi lên rỗng.", errors=[{"field": "file", "message": "Tệp: không có nội dung."}])
    declared = media_type.split(";")[0].strip().lower()
    normalised = _ALIASES.get(declared, declared)
    if normalised in ("", "application/octet-stream"):  # the client did not know: the content says
        normalised = sniff_media_type(content) or normalised
    if normalised not in ALLOWED_UPLOADS:
        raise ValidationFailed(
            f"Không chấp nhận loại tệp “{_CONTROL.sub('', media_type)[:80]}”. Chỉ chấp nhận tệp PDF, ảnh JPEG/PNG "
            "hoặc văn bản DOCX.",
            errors=[{"field": "media_type", "message": "Loại tệp: chỉ chấp nhận PDF, ảnh JPEG/PNG hoặc văn bản DOCX."}],
        )
    name = safe_filename(filename)
    if not name.lower().endswith(ALLOWED_UPLOADS[normalised]):
        raise ValidationFailed(
            f"Tên tệp “{name}” không có phần mở rộng phù hợp với loại tệp "
            f"({', '.join(ALLOWED_UPLOADS[normalised])}).",
            errors=[{"field": "filename", "message": "Tên tệp: phần mở rộng của tên tệp không khớp loại tệp."}],
        )
    if not _looks_like(normalised, content):
        raise ValidationFailed(
            f"Nội dung tệp “{name}” không đúng định dạng {_LABELS[normalised]} (tệp có thể bị hỏng hoặc "
            "đã bị đổi tên).",
            errors=[{"field": "file", "message": f"Tệp: nội dung không đúng định dạng {_LABELS[normalised]}."}],
        )
    return normalised


def safe_filename(filename: str) -> str:
    """The last path component, NFC, without control characters, at most 255 characters (extension kept)."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().lstrip(".") or "tep-dinh-kem"
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        keep_extension = dot and len(extension) <= 10
        name = stem[: 254 - len(extension)] + dot + extension if keep_extension else name[:255]
    return name


_LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", DOCX: "DOCX"}


def sniff_media_type(content: bytes) -> str | None:
    """The accepted type `content` really is (magic bytes), None when it is none of them."""
    return next((media_type for media_type in ALLOWED_UPLOADS if _looks_like(media_type, content)), None)


def _looks_like(media_type: str, content: bytes) -> bool:
    if media_type == PDF:
        # Header at the start and an end-of-file marker near the end: catches renamed and truncated files.
        return content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]
    if media_type == JPEG:
        return content.startswith(b"\xff\xd8\xff")
    if media_type == PNG:
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    if media_type == DOCX:
        if not content.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False
    return False


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
