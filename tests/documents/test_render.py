"""The seven forms render with Vietnamese text intact, wrap long names, and carry a QR code that opens the
dossier's lookup page and nothing else."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pypdf
import pytest
import zxingcpp
from fpdf import FPDF
from PIL import Image

from workflows.documents import layout
from workflows.documents.context import (
    STEP_EARLY,
    STEP_LATE,
    STEP_ON_TIME,
    FormCode,
    FormContext,
    lookup_url,
    step_result,
    vn_datetime,
)
from workflows.documents.layout import FONT, MOTTO_1, MOTTO_2, FormPdf, _CutFacesOutput, qr_png
from workflows.documents.render import render_form

SINGLE_DOSSIER_FORMS = [f for f in FormCode if f is not FormCode.MAU_07]
REASON_FORMS = [FormCode.MAU_02, FormCode.MAU_03, FormCode.MAU_04, FormCode.MAU_05]


def pdf_text(data: bytes) -> tuple[str, str]:
    """(raw text, text with all whitespace runs collapsed to one space, so wrapped lines join up)."""
    raw = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return raw, " ".join(raw.split())


def decoded_qr_codes(data: bytes) -> list[str]:
    texts = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            texts += [barcode.text for barcode in zxingcpp.read_barcodes(image.image.convert("L"))]
    return texts


@pytest.mark.parametrize("form", list(FormCode), ids=lambda f: f.value)
def test_every_form_prints_its_title_motto_and_agency(form: FormCode, form_context: FormContext) -> None:
    data = render_form(form, form_context)
    assert data.startswith(b"%PDF-")
    _, text = pdf_text(data)
    assert form.title_vi.upper() in text
    assert MOTTO_1 in text and MOTTO_2 in text
    assert "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH TỈNH TUYÊN QUANG" in text
    assert "Tuyên Quang, ngày 24 tháng 11 năm 2026" in text
    assert f"Mẫu số {form.number}" in text


@pytest.mark.parametrize("form", SINGLE_DOSSIER_FORMS, ids=lambda f: f.value)
def test_dossier_forms_name_the_dossier_applicant_and_procedure(
    form: FormCode, form_context: FormContext
) -> None:
    raw, text = pdf_text(render_form(form, form_context))
    assert form_context.dossier_code in text
    assert form_context.applicant_name in text
    assert form_context.procedure_name in text
    # Too long for one line: printed wrapped, never cut.
    assert form_context.applicant_name not in raw


@pytest.mark.parametrize("form", SINGLE_DOSSIER_FORMS, ids=lambda f: f.value)
def test_qr_code_opens_the_lookup_page_of_the_dossier(form: FormCode, form_context: FormContext) -> None:
    expected = lookup_url("https://dichvucong.tuyenquang.gov.vn/", form_context.dossier_code)
    assert expected == "https://dichvucong.tuyenquang.gov.vn/tra-cuu?ma=H60.22-261124-0007"
    assert decoded_qr_codes(render_form(form, form_context)) == [expected]


def test_qr_code_image_matches_segno_output(form_context: FormContext) -> None:
    direct = zxingcpp.read_barcodes(Image.open(qr_png(form_context.lookup_url)).convert("L"))
    assert [b.text for b in direct] == [form_context.lookup_url]
    assert [b.format for b in direct] == [zxingcpp.BarcodeFormat.QRCode]


def test_lookup_url_escapes_the_code_and_carries_nothing_personal() -> None:
    url = lookup_url("http://127.0.0.1:8000", "G09.20-20260609 0092637&x=1")
    assert url == "http://127.0.0.1:8000/tra-cuu?ma=G09.20-20260609%200092637%26x%3D1"


def test_register_has_no_qr_code_and_lists_every_dossier(form_context: FormContext) -> None:
    data = render_form(FormCode.MAU_07, form_context)
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    assert decoded_qr_codes(data) == []
    _, text = pdf_text(data)
    assert "Từ ngày 01 tháng 11 năm 2026 đến ngày 30 tháng 11 năm 2026" in text
    for row in form_context.register_rows:
        assert row.dossier_code in text and row.applicant_name in text and row.lead_agency in text
    assert "24/11/2026 09:05" in text and "01/12/2026 16:30" in text  # Vietnam time
    assert f"Tổng số: {len(form_context.register_rows)} hồ sơ." in text


def test_receipt_prints_documents_dates_and_masked_phone(form_context: FormContext) -> None:
    _, text = pdf_text(render_form(FormCode.MAU_01, form_context))
    assert "4. Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 24 tháng 11 năm 2026" in text
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 30 phút, ngày 01 tháng 12 năm 2026" in text
    assert "05 ngày làm việc" in text
    for line in form_context.documents:
        assert line.name in text and line.kind in text
    assert "09******89" in text
    assert form_context.result_channel in text and form_context.fees_text in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert form_context.official_name in text


def test_no_form_has_a_place_for_an_id_card_number() -> None:
    names = {f.name for f in dataclasses.fields(FormContext)}
    assert not {n for n in names if "cccd" in n or "id_number" in n or "identity" in n}
    assert "applicant_phone_masked" in names and "applicant_phone" not in names


@pytest.mark.parametrize("form", REASON_FORMS, ids=lambda f: f.value)
def test_forms_with_a_reason_print_it(form: FormCode, form_context: FormContext) -> None:
    _, text = pdf_text(render_form(form, form_context))
    assert f"{form_context.reason}" in text


def test_supplement_request_lists_the_items(form_context: FormContext) -> None:
    _, text = pdf_text(render_form(FormCode.MAU_02, form_context))
    assert form_context.items[0].name in text
    assert "một lần, đầy đủ" in text
    assert f"{form_context.official_name}, số điện thoại {form_context.official_phone}" in text


def test_apology_prints_old_and_new_appointment(form_context: FormContext) -> None:
    _, text = pdf_text(render_form(FormCode.MAU_04, form_context))
    assert form_context.appointment_at and form_context.new_appointment_at
    assert vn_datetime(form_context.appointment_at) in text
    assert f"Thời gian hẹn trả kết quả mới: {vn_datetime(form_context.new_appointment_at)}" in text
    assert "16 giờ 30 phút, ngày 08 tháng 12 năm 2026" in text
    assert "PHÓ GIÁM ĐỐC" in text and "Nơi nhận:" in text


def test_stop_notice_prints_stage_and_fees(form_context: FormContext) -> None:
    _, text = pdf_text(render_form(FormCode.MAU_05, form_context))
    assert form_context.stage in text and form_context.fees_text in text


def test_control_sheet_has_one_row_per_hand_over_with_its_result(form_context: FormContext) -> None:
    _, text = pdf_text(render_form(FormCode.MAU_06, form_context))
    first, second, third = form_context.control_log
    assert "Giao: Nguyễn Thị Hồng Nhung, Bộ phận Một cửa Nhận: Trần Văn Đức, Phòng Quản lý Văn hóa" in text
    assert "Giao: Lê Thị Thu Hường, Chuyên viên thụ lý Nhận: Phạm Quang Vinh, Lãnh đạo Sở" in text
    assert "12 giờ 05 phút ngày 24/11/2026" in text  # first hand-over, Vietnam time
    # Row order and each step's result: on time (same day), early (a day ahead), late.
    rows = [text.index(f"Giao: {entry.from_user}") for entry in (first, second, third)]
    assert rows == sorted(rows)
    results = [text.find(label, rows[i]) for i, label in enumerate((STEP_ON_TIME, STEP_EARLY, STEP_LATE))]
    assert all(r > 0 for r in results) and results == sorted(results)
    assert results[1] < rows[2] and results[0] < rows[1]
    assert form_context.coordinating_agency in text


def test_step_result_boundaries() -> None:
    due = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 16:00 on 25/11 in Hanoi
    assert step_result(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), due) == STEP_ON_TIME
    assert step_result(datetime(2026, 11, 24, 17, 0, tzinfo=UTC), due) == STEP_ON_TIME  # 00:00 on 25/11
    assert step_result(datetime(2026, 11, 24, 16, 59, tzinfo=UTC), due) == STEP_EARLY  # 23:59 on 24/11
    assert step_result(datetime(2026, 11, 25, 9, 1, tzinfo=UTC), due) == STEP_LATE
    assert step_result(datetime(2026, 11, 25, 9, 1), due) == STEP_LATE  # naive (SQLite) is read as UTC


def test_decomposed_input_prints_as_composed_text(form_context: FormContext) -> None:
    composed = form_context.applicant_name
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    form_context.applicant_name = decomposed
    _, text = pdf_text(render_form(FormCode.MAU_01, form_context))
    assert composed in text  # the extracted text itself is NFC, not re-normalised here


def test_missing_fields_are_named(form_context: FormContext) -> None:
    form_context.new_appointment_at = None
    form_context.reason = ""
    with pytest.raises(ValueError, match="new_appointment_at, reason"):
        render_form(FormCode.MAU_04, form_context)
    render_form(FormCode.MAU_01, form_context)  # the receipt needs neither


def test_same_context_renders_the_same_bytes(form_context: FormContext) -> None:
    first = render_form(FormCode.MAU_01, form_context)
    assert render_form(FormCode.MAU_01, form_context) == first
    form_context.issued_at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert render_form(FormCode.MAU_01, form_context) != first


def test_long_control_log_runs_onto_more_pages(form_context: FormContext) -> None:
    form_context.control_log = form_context.control_log * 12
    data = render_form(FormCode.MAU_06, form_context)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    second_page = " ".join(reader.pages[1].extract_text().split())
    assert "Thời gian giao, nhận hồ sơ" in second_page  # headings repeat
    assert f"Trang 2/{len(reader.pages)}" in second_page


def test_documents_and_items_may_be_plain_tuples_or_names(form_context: FormContext) -> None:
    form_context.documents = [("Tờ khai đăng ký hoạt động thể thao", 2, "Bản chính")]
    form_context.items = ["Giấy chứng nhận đủ điều kiện về an ninh, trật tự"]
    _, receipt = pdf_text(render_form(FormCode.MAU_01, form_context))
    assert "1 Tờ khai đăng ký hoạt động thể thao 02 Bản chính" in receipt
    _, request = pdf_text(render_form(FormCode.MAU_02, form_context))
    assert "1 Giấy chứng nhận đủ điều kiện về an ninh, trật tự 01" in request


def test_documents_one_after_another_keep_their_own_glyphs_and_embed_only_the_faces_they_use() -> None:
    """The faces are parsed once per process and shared (layout._document_face); each document must still
    subset and embed its own glyphs, and a face it never selected is not embedded at all (the footer is
    always italic, the body regular)."""
    def one(text: str, *, bold: bool) -> bytes:
        pdf = FormPdf()
        pdf.set_creation_date(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # the same bytes for the same text
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        if bold:
            pdf.set_font(FONT, "B", 12)
            pdf.multi_cell(0, 8, "GHI CHÚ: Ỹ Ữ Ẵ", new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())

    first = one("Nguyễn Thị Ánh Tuyết — Đơn đề nghị", bold=True)
    second = one("Trần Văn Bình, phường Minh Xuân", bold=False)
    third = one("Nguyễn Thị Ánh Tuyết — Đơn đề nghị", bold=True)

    def fonts(data: bytes) -> list[str]:  # every font the file embeds, used on a page or not
        return sorted({name.decode() for name in re.findall(rb"/BaseFont /[A-Z]{6}\+(\w+)", data)})

    assert pdf_text(first)[1] == "Nguyễn Thị Ánh Tuyết — Đơn đề nghị GHI CHÚ: Ỹ Ữ Ẵ Trang 1/1"
    assert pdf_text(second)[1] == "Trần Văn Bình, phường Minh Xuân Trang 1/1"
    assert first == third  # nothing of the first document's subset leaked into the shared faces
    assert fonts(first) == ["DejaVuSerifBold", "DejaVuSerifBook", "DejaVuSerifItalic"]
    assert fonts(second) == ["DejaVuSerifBook", "DejaVuSerifItalic"]


def _written(text: str) -> tuple[FormPdf, bytes]:
    pdf = FormPdf()
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    return pdf, bytes(pdf.output())


def _cuts(pdf: FormPdf) -> dict[str, str]:
    """Per face the document embeds: the cut its subset was made from (`layout.CUTS`), or the whole face."""
    return {key: pdf.cuts.get(key, "whole") for key in pdf.fonts}


VIETNAMESE = " ".join(unicodedata.normalize("NFC", "".join(vowel + tone for tone in ("", "\u0300", "\u0301", "\u0303",
                                                                                      "\u0309", "\u0323")))
                      for vowel in "aăâeêioôơuưy")
FORM_SYMBOLS = "– — “” ‘’ … • № € m² → □ § ° ½ × ≤ ≥ ± ‰"


def test_vietnamese_text_and_the_forms_symbols_are_written_from_the_core_cut() -> None:
    """Every letter of Vietnamese with every tone, upper and lower case, and the punctuation and symbols the
    forms print come from the smallest cut (layout.CORE_RANGES): the cheap path is the usual one."""
    text = f"{VIETNAMESE} {VIETNAMESE.upper()} đĐ bcdghklmnpqrstvx 0123456789 {FORM_SYMBOLS}"
    pdf, data = _written(text)
    assert _cuts(pdf) == {"dejavuserif": "core", "dejavuserifI": "core"}
    assert text in pdf_text(data)[1]


def test_a_latin_letter_outside_vietnamese_is_written_from_the_lean_cut() -> None:
    """A name with Polish, Turkish or Czech letters is not in the core cut but in the lean one."""
    text = "Người nộp: Łukasz Şahin, Dvořák"
    pdf, data = _written(text)
    assert _cuts(pdf) == {"dejavuserif": "lean", "dejavuserifI": "core"}
    assert text in pdf_text(data)[1]


def test_a_character_outside_the_cuts_is_written_from_the_whole_face() -> None:
    """A citizen's name in Cyrillic or Greek is in neither cut: that document is written from the whole face,
    and prints it."""
    text = "Người nộp: Иванова Мария, Ωμέγα Ltd."
    pdf, data = _written(text)
    assert _cuts(pdf) == {"dejavuserif": "whole", "dejavuserifI": "core"}
    assert text in pdf_text(data)[1]


@pytest.mark.parametrize("text", [f"{VIETNAMESE} {FORM_SYMBOLS}", "Łukasz Şahin, Dvořák — Nguyễn Thị Ánh"])
def test_a_document_is_the_same_bytes_from_a_cut_as_from_the_whole_face(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cuts keep the whole face's glyph names, metrics and font-wide values (layout._cut_face), so what
    fpdf2 embeds does not depend on which copy it subset."""
    def written(cuts: dict[str, tuple[tuple[int, int], ...]]) -> tuple[dict[str, str], bytes]:
        monkeypatch.setattr(layout, "CUTS", cuts)
        pdf = FormPdf()
        pdf.set_creation_date(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        data = bytes(pdf.output())  # the cuts are chosen as it writes
        return _cuts(pdf), data

    cut_by_default, default = written({"core": layout.CORE_RANGES, "lean": layout.LEAN_RANGES})
    from_lean, lean = written({"lean": layout.LEAN_RANGES})
    from_whole, whole = written({})
    assert "whole" not in cut_by_default.values()
    assert set(from_lean.values()) == {"lean"} and set(from_whole.values()) == {"whole"}
    assert default == lean == whole


def test_a_document_written_while_another_is_being_written_keeps_its_own_font_objects() -> None:
    """Request threads and relays render at once, and the faces are shared per process: what fpdf2 numbers
    and links while it writes one PDF (the font descriptor, its font stream) must belong to that PDF alone.
    The second document is written at the worst moment for the first, right after the first's fonts got
    their object numbers and before its objects are serialised (the PostgreSQL soak once failed a form
    with 'KeyError: 12' from this)."""
    def document(text: str, pages: int = 1) -> FormPdf:
        pdf = FormPdf()
        pdf.set_creation_date(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
        for page in range(pages):
            if page:
                pdf.add_page()
            pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        return pdf

    # The second has more pages, so more objects before its fonts: the numbers differ.
    first_text = "Nguyễn Thị Ánh Tuyết — Đơn đề nghị " * 3
    second_text = "Trần Văn Bình, phường Minh Xuân"
    alone = bytes(document(first_text).output())
    second_alone = bytes(document(second_text, pages=3).output())
    written: list[bytes] = []

    class WritesAnotherDocumentMidway(_CutFacesOutput):
        def _add_fonts(self, *args: Any, **kwargs: Any) -> Any:
            fonts = super()._add_fonts(*args, **kwargs)
            written.append(bytes(document(second_text, pages=3).output()))
            return fonts

    first = document(first_text)
    together = bytes(FPDF.output(first, output_producer_class=WritesAnotherDocumentMidway))
    assert written == [second_alone]
    assert together == alone
    assert pdf_text(together)[1] == f"{first_text.strip()} Trang 1/1"
