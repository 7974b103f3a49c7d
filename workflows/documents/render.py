"""`render_form`: the forms Mẫu 01–07 of TT 03/2025/TT-VPCP Phụ lục I as PDF bytes.

The field lists follow the TT 01/2018 templates reproduced by provincial systems (DOMAIN §1.2); the exact
TT 03/2025 wording is not confirmed, so the texts here are ours. Output is deterministic for a given
context (the PDF creation date is `issued_at`), so identical forms store once in the content-addressed
file store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fpdf.enums import Align

from workflows.core.clock import ensure_utc
from workflows.documents import layout as ly
from workflows.documents.context import (
    FormCode,
    FormContext,
    as_line,
    step_result,
    vn_compact,
    vn_date,
    vn_datetime,
    vn_datetime_short,
    vn_day,
)
from workflows.signing.appearance import SignatureBox

__all__ = ["FormCode", "FormContext", "RenderedForm", "render_form", "render_signable_form"]

A4_LONG, A4_SHORT = 297.0, 210.0  # mm

# Fields each form cannot be printed without (the caller gets a ValueError naming them).
_REQUIRED: dict[FormCode, tuple[str, ...]] = {
    FormCode.MAU_01: ("dossier_code", "applicant_name", "procedure_name", "received_at", "appointment_at"),
    FormCode.MAU_02: ("applicant_name", "procedure_name", "items", "reason"),
    FormCode.MAU_03: ("applicant_name", "procedure_name", "reason"),
    FormCode.MAU_04: ("dossier_code", "applicant_name", "procedure_name", "received_at", "appointment_at",
                      "new_appointment_at", "reason"),
    FormCode.MAU_05: ("dossier_code", "applicant_name", "procedure_name", "reason"),
    FormCode.MAU_06: ("dossier_code", "applicant_name", "procedure_name"),
    FormCode.MAU_07: ("period_start", "period_end"),
}


def render_form(form: FormCode, ctx: FormContext) -> bytes:
    """The PDF of `form` filled from `ctx`. Forms about one dossier (01–06) carry the lookup QR code of
    `ctx.lookup_url` when it is set; Mẫu 07 (a register of many dossiers) is landscape and has none.
    Raises ValueError when a field the form needs is empty."""
    return render_signable_form(form, ctx).content


@dataclass(frozen=True)
class RenderedForm:
    content: bytes
    # Where each signing block leaves room for a signature, in drawing order; the official's is the last.
    signature_boxes: tuple[SignatureBox, ...]


def render_signable_form(form: FormCode, ctx: FormContext) -> RenderedForm:
    """`render_form` with where its signing blocks are, for a digital signature (`ctx.signature_stamp`
    printed in the last one)."""
    missing = [name for name in _REQUIRED[form] if not getattr(ctx, name)]
    if missing:
        raise ValueError(f"{form.value} needs: {', '.join(missing)}")
    landscape = form is FormCode.MAU_07
    pdf = ly.FormPdf(landscape=landscape,
                     footer_text=form.title_vi if form is FormCode.MAU_07 or not ctx.dossier_code
                     else f"Mã hồ sơ: {ctx.dossier_code}",
                     lookup_url=_qr_url(form, ctx))
    pdf.set_creation_date(ensure_utc(ctx.issued_at))
    pdf.set_title(f"{form.label}: {form.title_vi}" + (f" — {ctx.dossier_code}" if ctx.dossier_code else ""))
    pdf.set_author(ly.nfc(ctx.agency_name))
    ly.form_label(pdf, form)
    _BODIES[form](pdf, ctx)
    page_height = A4_SHORT if landscape else A4_LONG
    boxes = tuple(SignatureBox(page=page, x=x, y=y, width=width, height=height, page_height=page_height)
                  for page, x, y, width, height in pdf.signature_boxes)
    return RenderedForm(content=bytes(pdf.output()), signature_boxes=boxes)


def _qr_url(form: FormCode, ctx: FormContext) -> str:
    return "" if form is FormCode.MAU_07 else ctx.lookup_url


def _title(pdf: ly.FormPdf, form: FormCode, ctx: FormContext) -> None:
    ly.title(pdf, form.title_vi, f"Mã hồ sơ: {ctx.dossier_code}" if ctx.dossier_code else "",
             qr_url=_qr_url(form, ctx))


def _header(pdf: ly.FormPdf, ctx: FormContext, *, numbered: bool = True) -> None:
    ly.national_header(pdf, parent_agency=ctx.parent_agency_name, agency=ctx.agency_name,
                       number=ctx.document_number if numbered else None, place=ctx.place_name,
                       issued_at=ctx.issued_at)


def _applicant(pdf: ly.FormPdf, ctx: FormContext, label: str) -> None:
    ly.field(pdf, label, ctx.applicant_name, strong=True)
    ly.field(pdf, "Địa chỉ:", ctx.applicant_address)
    # The phone is masked on every form, the receipt handed to the citizen included: the citizen knows
    # their own number, while printed copies travel (the archive copy, post, photos of the paper) and
    # DOMAIN §6 asks for masking in every export. The full number stays in the system for the desk.
    ly.field(pdf, "Số điện thoại:", ctx.applicant_phone_masked or "")
    ly.field(pdf, "Email:", ctx.applicant_email or "")


def _documents_table(pdf: ly.FormPdf, lines: list, heading: str) -> None:
    rows = [(f"{i}", line.name, f"{int(line.count):02d}", line.kind)
            for i, line in enumerate(map(as_line, lines), 1)]
    ly.table(pdf, ("STT", heading, "Số lượng", "Loại bản"), rows, (12, pdf.epw - 12 - 22 - 40, 22, 40),
             aligns=("CENTER", "LEFT", "CENTER", "CENTER"))


def _mau_01(pdf: ly.FormPdf, ctx: FormContext) -> None:
    _header(pdf, ctx)
    _title(pdf, FormCode.MAU_01, ctx)
    _applicant(pdf, ctx, f"{ctx.agency_name} tiếp nhận hồ sơ của:")
    ly.field(pdf, "Nội dung yêu cầu giải quyết:", ctx.procedure_name, strong=True)
    ly.paragraph(pdf, "1. Thành phần hồ sơ nộp gồm:")
    _documents_table(pdf, ctx.documents, "Tên giấy tờ")
    ly.field(pdf, "2. Số lượng hồ sơ:", f"{ctx.dossier_sets:02d} (bộ)")
    ly.field(pdf, "3. Thời gian giải quyết hồ sơ theo quy định là:", ctx.time_limit_text)
    ly.field(pdf, "4. Thời gian nhận hồ sơ:", vn_datetime(ctx.received_at))
    ly.field(pdf, "5. Thời gian trả kết quả giải quyết hồ sơ:", vn_datetime(ctx.appointment_at), strong=True)
    ly.field(pdf, "6. Đăng ký nhận kết quả:", ctx.result_channel)
    _fees(pdf, ctx, "7. Phí, lệ phí:")
    ly.paragraph(pdf, f"Vào Sổ theo dõi hồ sơ, Quyển số: {ctx.register_book or '…'}, "
                      f"Số thứ tự: {ctx.register_seq or '…'}")
    ly.signatures(pdf, [
        ("Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", ctx.applicant_name),
        ("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", ctx.official_name, ctx.official_position),
    ], stamp=ctx.signature_stamp)
    ly.paragraph(pdf, "Ghi chú: Giấy này được lập thành 02 liên: 01 liên giao người nộp hồ sơ; 01 liên "
                      "chuyển kèm Phiếu kiểm soát quá trình giải quyết hồ sơ và lưu tại Bộ phận Một cửa.",
                 style="I", size=8.5)


def _fees(pdf: ly.FormPdf, ctx: FormContext, label: str) -> None:
    """The fee of this dossier (`fee_basis` set) on one line; else the table: one fee on one line, several
    (amounts by condition) one per line with each condition in full, the fee's name said once when all
    share it."""
    lines = ctx.fee_lines
    if ctx.fee_basis and lines:  # the fee that applies to this dossier, from what was declared at intake
        text = "; ".join(f"{line.name}: {line.amount}" + (f" ({line.condition})" if line.condition else "")
                         for line in lines)
        ly.field(pdf, label, f"{text}, theo thông tin kê khai: {ctx.fee_basis}.")
    elif len(lines) == 1 and not lines[0].condition:
        ly.field(pdf, label, f"{lines[0].name}: {lines[0].amount}")
    elif lines:
        names = list(dict.fromkeys(line.name for line in lines))
        shared = len(names) == 1
        ly.field(pdf, label, f"{names[0]}, theo điều kiện sau:" if shared else "theo điều kiện sau:")
        for line in lines:
            condition = line.condition if shared else f"{line.name}: {line.condition}".rstrip(": ")
            ly.item(pdf, f"{condition}: {line.amount}" if condition else line.amount)
    elif ctx.fees_text:
        ly.field(pdf, label, ctx.fees_text)


def _mau_02(pdf: ly.FormPdf, ctx: FormContext) -> None:
    _header(pdf, ctx)
    _title(pdf, FormCode.MAU_02, ctx)
    ly.paragraph(pdf, f"{ctx.agency_name}", style="B")
    _applicant(pdf, ctx, "Hồ sơ của:")
    ly.field(pdf, "Nội dung yêu cầu giải quyết:", ctx.procedure_name, strong=True)
    if ctx.received_at:
        ly.field(pdf, "Thời gian nộp hồ sơ:", vn_datetime(ctx.received_at))
    ly.paragraph(pdf, "Yêu cầu Ông/Bà/Tổ chức bổ sung, hoàn thiện hồ sơ một lần, đầy đủ gồm những nội dung "
                      "sau:")
    _documents_table(pdf, ctx.items, "Thành phần hồ sơ cần bổ sung, hoàn thiện")
    ly.field(pdf, "Lý do:", ctx.reason, strong=True)
    ly.paragraph(pdf, "Trong quá trình bổ sung, hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà/Tổ chức liên hệ "
                      f"{_contact(ctx)} để được hướng dẫn.")
    ly.signatures(pdf, [("Người hướng dẫn", "(Ký và ghi rõ họ tên)", ctx.official_name, ctx.official_position)],
                  stamp=ctx.signature_stamp)


def _contact(ctx: FormContext) -> str:
    """ "Lê Thị Hương, Chuyên viên Phòng …, hoặc Phòng …, số điện thoại 0207 3822 356": who to ask."""
    person = ", ".join(part for part in (ctx.official_name, ctx.official_position) if part)
    unit = ctx.unit_name if ctx.unit_name and ctx.unit_name not in ctx.official_position else ""
    parts = [person] if person else []
    if unit:
        parts.append(f"{'hoặc ' if parts else ''}{unit}")
    text = ", ".join(parts) or "Bộ phận Một cửa"
    phone = ctx.official_phone.replace(" ", "\u00a0")  # a phone number never breaks across lines
    return text + (f", số điện thoại {phone}" if phone else "")


def _mau_03(pdf: ly.FormPdf, ctx: FormContext) -> None:
    _header(pdf, ctx)
    _title(pdf, FormCode.MAU_03, ctx)
    ly.paragraph(pdf, f"{ctx.agency_name}", style="B")
    _applicant(pdf, ctx, "Tiếp nhận hồ sơ của:")
    ly.field(pdf, "Nội dung yêu cầu giải quyết:", ctx.procedure_name, strong=True)
    if ctx.received_at:
        ly.field(pdf, "Thời gian nộp hồ sơ:", vn_datetime(ctx.received_at))
    ly.paragraph(pdf, "Sau khi xem xét, đối chiếu với quy định của pháp luật, cơ quan không tiếp nhận, giải "
                      "quyết hồ sơ này với lý do sau:")
    ly.paragraph(pdf, ctx.reason, style="B")
    ly.paragraph(pdf, "Xin thông báo để Ông/Bà/Tổ chức được biết và thực hiện.")
    if ctx.signer_heading:  # refused after appraisal: the competent leader signs for the agency
        ly.signatures(pdf, [_letter_signer(ctx)], stamp=ctx.signature_stamp)
    else:  # refused at the desk: the receiving official
        ly.signatures(pdf, [("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", ctx.official_name,
                             ctx.official_position)], stamp=ctx.signature_stamp)


def _letter_signer(ctx: FormContext) -> tuple[str, str, str]:
    """The head of the agency (or a deputy "KT."), who signs and stamps letters of the agency."""
    heading = ctx.signer_heading or ctx.official_title or "Thủ trưởng cơ quan"
    return (heading, "(Ký, ghi rõ họ tên và đóng dấu)", ctx.official_name)


def _mau_04(pdf: ly.FormPdf, ctx: FormContext) -> None:
    _header(pdf, ctx)
    _title(pdf, FormCode.MAU_04, ctx)
    ly.field(pdf, "Kính gửi:", ctx.applicant_name, strong=True)
    ly.field(pdf, "Địa chỉ:", ctx.applicant_address)
    ly.field(pdf, "Số điện thoại:", ctx.applicant_phone_masked)
    pdf.ln(1)
    ly.paragraph(pdf, f"Ngày {vn_day(ctx.received_at)}, {ctx.agency_name} tiếp nhận hồ sơ của "
                      "Ông/Bà/Tổ chức đề nghị giải quyết thủ tục hành chính: "
                      f"{ctx.procedure_name}. Mã hồ sơ: {ctx.dossier_code}.")
    ly.field(pdf, "Thời gian hẹn trả kết quả giải quyết hồ sơ:", vn_datetime(ctx.appointment_at))
    ly.paragraph(pdf, "Tuy nhiên, đến nay cơ quan chưa trả kết quả giải quyết hồ sơ cho Ông/Bà/Tổ chức "
                      "đúng hạn.")
    ly.field(pdf, "Lý do:", ctx.reason, strong=True)
    ly.paragraph(pdf, "Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của Ông/Bà/Tổ chức. "
                      f"{ctx.agency_name} xin lỗi Ông/Bà/Tổ chức và đề nghị gia hạn thời gian giải quyết "
                      "hồ sơ.")
    ly.field(pdf, "Thời gian hẹn trả kết quả mới:", vn_datetime(ctx.new_appointment_at), strong=True)
    ly.paragraph(pdf, "Kính mong Ông/Bà/Tổ chức thông cảm. Trân trọng./.")
    ly.signatures(pdf, [_letter_signer(ctx)],
                  left_note=["Nơi nhận:", "- Như trên;", "- Bộ phận Một cửa;", "- Lưu: VT, hồ sơ."],
                  stamp=ctx.signature_stamp)


def _mau_05(pdf: ly.FormPdf, ctx: FormContext) -> None:
    _header(pdf, ctx)
    _title(pdf, FormCode.MAU_05, ctx)
    ly.field(pdf, "Kính gửi:", ctx.applicant_name, strong=True)
    ly.field(pdf, "Địa chỉ:", ctx.applicant_address)
    ly.field(pdf, "Số điện thoại:", ctx.applicant_phone_masked)
    pdf.ln(1)
    received = f" ngày {vn_day(ctx.received_at)}" if ctx.received_at else ""
    ly.paragraph(pdf, f"{ctx.agency_name} đã tiếp nhận{received} hồ sơ của Ông/Bà/Tổ chức đề nghị giải "
                      f"quyết thủ tục hành chính: {ctx.procedure_name}. Mã hồ sơ: {ctx.dossier_code}.")
    ly.paragraph(pdf, f"{ctx.agency_name} thông báo dừng giải quyết hồ sơ nêu trên.")
    ly.field(pdf, "Lý do:", ctx.reason, strong=True)
    if ctx.stage:
        ly.field(pdf, "Hồ sơ đã được giải quyết đến bước:", ctx.stage)
    if ctx.fees_text:
        ly.field(pdf, "Phí, lệ phí đã nộp:", ctx.fees_text)
    else:
        ly.paragraph(pdf, "Phí, lệ phí đã nộp (nếu có) được xử lý theo quy định của pháp luật về phí và lệ phí.")
    ly.paragraph(pdf, "Ông/Bà/Tổ chức liên hệ Bộ phận Một cửa để nhận lại hồ sơ, giấy tờ đã nộp (nếu có). "
                      "Trân trọng./.")
    ly.signatures(pdf, [_letter_signer(ctx)],
                  left_note=["Nơi nhận:", "- Như trên;", "- Bộ phận Một cửa;", "- Lưu: VT, hồ sơ."],
                  stamp=ctx.signature_stamp)


def _mau_06(pdf: ly.FormPdf, ctx: FormContext) -> None:
    _header(pdf, ctx, numbered=False)
    _title(pdf, FormCode.MAU_06, ctx)
    ly.field(pdf, "Kèm theo hồ sơ của:", ctx.applicant_name, strong=True)
    ly.field(pdf, "Nội dung yêu cầu giải quyết:", ctx.procedure_name)
    ly.field(pdf, "Cơ quan chủ trì giải quyết:", ctx.agency_name)
    ly.field(pdf, "Cơ quan phối hợp giải quyết:", ctx.coordinating_agency or "Không")
    if ctx.received_at and ctx.appointment_at:
        ly.field(pdf, "Thời gian nhận hồ sơ:", vn_datetime(ctx.received_at))
        ly.field(pdf, "Thời gian hẹn trả kết quả:", vn_datetime(ctx.appointment_at))
    pdf.ln(1)
    rows = []
    for i, entry in enumerate(ctx.control_log, 1):
        giver = ", ".join(part for part in (entry.from_user, entry.from_unit) if part)
        taker = ", ".join(part for part in (entry.to_user, entry.to_unit) if part)
        result = entry.result or (step_result(entry.handed_at, entry.due_at) if entry.due_at else "")
        rows.append((f"{i}", f"Giao: {giver}\nNhận: {taker}", vn_datetime_short(entry.handed_at),
                     vn_datetime_short(entry.due_at), result, entry.note))
    ly.table(pdf, ("STT", "Tên cơ quan / người giao, nhận hồ sơ", "Thời gian giao, nhận hồ sơ",
                   "Hạn giải quyết của bước", "Kết quả giải quyết hồ sơ", "Ghi chú"),
             rows, (10, pdf.epw - 10 - 30 - 30 - 22 - 24, 30, 30, 22, 24), size=9,
             aligns=("CENTER", "LEFT", "CENTER", "CENTER", "CENTER", "LEFT"))
    ly.paragraph(pdf, "Kết quả giải quyết hồ sơ của mỗi bước: Trước hạn (xong trước ngày đến hạn), Đúng hạn "
                      "(xong trong ngày đến hạn), Quá hạn (xong sau thời điểm đến hạn).", style="I", size=9)


def _mau_07(pdf: ly.FormPdf, ctx: FormContext) -> None:
    _header(pdf, ctx, numbered=False)
    assert ctx.period_start and ctx.period_end  # guaranteed by _REQUIRED
    ly.title(pdf, FormCode.MAU_07.title_vi,
             f"Từ {vn_date(ctx.period_start)} đến {vn_date(ctx.period_end)}")
    rows = []
    for i, entry in enumerate(ctx.register_rows, 1):
        contact = "\n".join(part for part in (entry.applicant_address, entry.applicant_phone_masked) if part)
        rows.append((f"{i}", entry.dossier_code, entry.procedure_name, f"{entry.dossier_sets:02d}",
                     entry.applicant_name, contact, entry.lead_agency,
                     *(vn_compact(v) for v in (entry.received_at, entry.appointment_at, entry.transferred_at,
                                               entry.result_received_at, entry.returned_at)),
                     "", entry.note))
    headings = ("STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)",
                "Tên cá nhân, tổ chức", "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết",
                "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả",
                "Ngày chuyển hồ sơ đến cơ quan giải quyết", "Ngày nhận kết quả từ cơ quan giải quyết",
                "Ngày trả kết quả", "Ký nhận", "Ghi chú")
    widths = (8, 31, 29, 11, 28, 26, 21, 18, 18, 18, 18, 18, 12, 0)
    widths = (*widths[:-1], pdf.epw - sum(widths))
    ly.table(pdf, headings, rows, widths, size=7,
             aligns=("CENTER", "LEFT", "LEFT", "CENTER", "LEFT", "LEFT", "LEFT", *("CENTER",) * 5, "LEFT",
                     "LEFT"))
    ly.paragraph(pdf, f"Tổng số: {len(ctx.register_rows)} hồ sơ.", style="I", align=Align.L, size=10)



_BODIES: dict[FormCode, Callable[[ly.FormPdf, FormContext], None]] = {
    FormCode.MAU_01: _mau_01, FormCode.MAU_02: _mau_02, FormCode.MAU_03: _mau_03, FormCode.MAU_04: _mau_04,
    FormCode.MAU_05: _mau_05, FormCode.MAU_06: _mau_06, FormCode.MAU_07: _mau_07,
}
