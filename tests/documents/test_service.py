"""Documents of a dossier on both backends: store, list, read back (checksum verified, no reading across
dossiers), and the checks on citizens' uploads."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
import segno
from PIL import Image
from sqlmodel import Session

from workflows.core.clock import ManualClock, ensure_utc
from workflows.core.errors import NotFound, PayloadTooLarge, ValidationFailed
from workflows.documents.context import FormCode, FormContext
from workflows.documents.models import DocumentKind
from workflows.documents.render import render_form
from workflows.documents.service import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    list_documents,
    read_document,
    safe_filename,
    store_document,
    store_form,
    validate_upload,
)
from workflows.documents.storage import FileStore, StoredFileCorrupted

MB = 1024 * 1024


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    segno.make("anh-chup").save(buffer, kind="png", scale=4)
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def docx_bytes(*, with_document: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_store_list_and_read(session: Session, store: FileStore, clock: ManualClock,
                             form_context: FormContext) -> None:
    receipt = render_form(FormCode.MAU_01, form_context)
    form = store_document(session, store=store, dossier_code="H60.22-261124-0007", kind=DocumentKind.FORM,
                         form_code=FormCode.MAU_01, filename="giay-tiep-nhan.pdf", media_type=PDF,
                         content=receipt, created_by="motcua.nhung", now=clock.now())
    clock.advance(timedelta(minutes=5))
    upload = store_document(session, store=store, dossier_code="H60.22-261124-0007", kind="upload",
                            filename="C:\\Users\\dan\\Bản vẽ mặt bằng.png", media_type=PNG,
                            content=png_bytes(), created_by="citizen", now=clock.now(), note="Bổ sung lần 1")
    store_document(session, store=store, dossier_code="H60.22-261124-0008", kind="upload", filename="x.png",
                   media_type=PNG, content=png_bytes(), created_by="citizen", now=clock.now())
    session.commit()
    session.expunge_all()

    listed = list_documents(session, dossier_code="H60.22-261124-0007")
    assert [d.id for d in listed] == [form.id, upload.id]
    assert listed[0].form_code == "MAU_01" and listed[0].kind == "form" and listed[0].size == len(receipt)
    assert listed[1].filename == "Bản vẽ mặt bằng.png" and listed[1].note == "Bổ sung lần 1"
    assert ensure_utc(listed[1].created_at) == clock.now()

    document, content = read_document(session, store=store, dossier_code="H60.22-261124-0007",
                                      document_id=form.id)
    assert content == receipt and document.sha256 == form.sha256


def test_reading_a_document_of_another_dossier_is_not_found(session: Session, store: FileStore,
                                                             clock: ManualClock) -> None:
    document = store_document(session, store=store, dossier_code="H60.22-261124-0007", kind="result",
                              filename="giay-phep.pdf", media_type=PDF, content=b"%PDF-1.7\n%%EOF",
                              created_by="vanthu", now=clock.now())
    with pytest.raises(NotFound) as info:
        read_document(session, store=store, dossier_code="H60.22-261124-0008", document_id=document.id)
    assert info.value.status_code == 404 and "hồ sơ" in info.value.detail
    with pytest.raises(NotFound):
        read_document(session, store=store, dossier_code="H60.22-261124-0007", document_id=document.id + 100)


def test_tampered_bytes_are_refused_on_read(session: Session, store: FileStore, clock: ManualClock) -> None:
    document = store_document(session, store=store, dossier_code="H60.22-261124-0007", kind="upload",
                              filename="don.pdf", media_type=PDF, content=b"%PDF-1.7 don\n%%EOF",
                              created_by="citizen", now=clock.now())
    (path,) = [p for p in store.directory.rglob("*") if p.is_file()]
    path.write_bytes(b"%PDF-1.7 doi\n%%EOF")
    with pytest.raises(StoredFileCorrupted):
        read_document(session, store=store, dossier_code="H60.22-261124-0007", document_id=document.id)


def test_a_form_needs_its_form_code(session: Session, store: FileStore, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="form_code"):
        store_document(session, store=store, dossier_code="X", kind="form", filename="a.pdf", media_type=PDF,
                       content=b"%PDF-", created_by="u", now=clock.now())
    with pytest.raises(ValueError):
        store_document(session, store=store, dossier_code="X", kind="draft", filename="a.pdf", media_type=PDF,
                       content=b"%PDF-", created_by="u", now=clock.now())


@pytest.mark.parametrize(("filename", "expected"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("tệp\x00\x1fđính kèm.pdf", "tệpđính kèm.pdf"),
    ("", "tep-dinh-kem"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_safe_filename(filename: str, expected: str) -> None:
    assert safe_filename(filename) == expected


@pytest.mark.parametrize(("filename", "media_type", "make", "expected"), [
    ("don.pdf", "application/pdf", lambda: b"%PDF-1.7\n1 0 obj\n%%EOF\n", PDF),
    ("anh.JPG", "image/jpg", jpeg_bytes, JPEG),
    ("anh.png", "image/png", png_bytes, PNG),
    ("to-trinh.docx", DOCX, docx_bytes, DOCX),
])
def test_accepted_uploads(filename: str, media_type: str, make, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert validate_upload(filename=filename, media_type=media_type, content=make(), max_bytes=MB) == expected


def test_a_rendered_form_is_an_acceptable_pdf(form_context: FormContext) -> None:
    content = render_form(FormCode.MAU_03, form_context)
    assert validate_upload(filename="phieu.pdf", media_type=PDF, content=content, max_bytes=MB) == PDF


@pytest.mark.parametrize(("filename", "media_type", "content", "field"), [
    ("trang.html", "text/html", b"<html></html>", "media_type"),
    ("chay.exe", "application/x-msdownload", b"MZ\x90\x00", "media_type"),
    ("don.pdf", PDF, b"\x89PNG\r\n\x1a\n rest of a png", "file"),  # fake PDF magic
    ("don.pdf", PDF, b"MZ\x90\x00 %PDF-1.7 %%EOF", "file"),
    ("don.pdf", PDF, b"%PDF-1.7\n1 0 obj\n<< truncated", "file"),
    ("anh.png", PNG, b"\xff\xd8\xff\xe0 a jpeg", "file"),
    ("to-trinh.docx", DOCX, b"PK\x03\x04 not really a zip", "file"),
    ("to-trinh.docx", DOCX, docx_bytes(with_document=False), "file"),
    ("don.png", PDF, b"%PDF-1.7\n%%EOF", "filename"),
    ("don", PDF, b"%PDF-1.7\n%%EOF", "filename"),
    ("don.pdf", PDF, b"", "file"),
])
def test_refused_uploads(filename: str, media_type: str, content: bytes, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_upload(filename=filename, media_type=media_type, content=content, max_bytes=MB)
    assert info.value.status_code == 422
    assert info.value.errors[0]["field"] == field
    assert any(ch in info.value.detail for ch in "ệạớổ"), info.value.detail  # Vietnamese, with diacritics


def test_too_large_upload() -> None:
    content = b"%PDF-1.7\n" + b"0" * (2 * MB) + b"\n%%EOF"
    with pytest.raises(PayloadTooLarge) as info:
        validate_upload(filename="ho-so-quet.pdf", media_type=PDF, content=content, max_bytes=2 * MB)
    assert info.value.status_code == 413
    assert "vượt quá giới hạn 2,0 MB" in info.value.detail
    assert validate_upload(filename="ho-so-quet.pdf", media_type=PDF, content=content,
                           max_bytes=len(content)) == PDF


def test_store_form_renders_and_records_it(session: Session, store: FileStore, clock: ManualClock,
                                           form_context: FormContext) -> None:
    document = store_form(session, store=store, form=FormCode.MAU_04, ctx=form_context,
                          created_by="lanhdao.vinh", now=clock.now())
    assert (document.kind, document.form_code, document.media_type) == ("form", "MAU_04", PDF)
    assert document.filename == f"mau-04-{form_context.dossier_code}.pdf"
    _, content = read_document(session, store=store, dossier_code=form_context.dossier_code,
                               document_id=document.id)
    assert content == render_form(FormCode.MAU_04, form_context)
