"""The result of a dossier (the licence or decision the agency issues) as a PDF ready to be signed: the
national header, the result's title, who it is issued to and for what, and the signing block of the leader
who signs, whose room the visible digital signature fills (`RenderedResult.signature_box`). The QR code
points to the verification page. Output is deterministic for a given context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflows.core.clock import ensure_utc
from workflows.documents import layout as ly
from workflows.signing.appearance import SignatureBox

A4_PORTRAIT_HEIGHT = 297.0


@dataclass(frozen=True)
class ResultContext:
    agency_name: str
    parent_agency_name: str
    place_name: str
    dossier_code: str
    procedure_name: str
    result_title: str  # "Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke"
    applicant_name: str
    applicant_address: str
    legal_basis: str
    signer_heading: str  # "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"
    signer_name: str
    verify_url: str
    issued_at: datetime
    details: tuple[tuple[str, str], ...] = ()  # what the applicant declared that the result grants
    stamp: tuple[str, ...] = ()  # the digital signature's lines, printed in the signing box (appearance.stamp_lines)


@dataclass(frozen=True)
class RenderedResult:
    content: bytes
    signature_box: SignatureBox


def render_result(ctx: ResultContext) -> RenderedResult:
    """The result's PDF and where its signer's signature goes."""
    pdf = ly.FormPdf(footer_text=f"Mã hồ sơ: {ctx.dossier_code}", lookup_url="")
    pdf.set_creation_date(ensure_utc(ctx.issued_at))
    pdf.set_title(f"{ctx.result_title} — {ctx.dossier_code}")
    pdf.set_author(ly.nfc(ctx.agency_name))
    ly.national_header(pdf, parent_agency=ctx.parent_agency_name, agency=ctx.agency_name, number="",
                       place=ctx.place_name, issued_at=ctx.issued_at)
    pdf.ln(2)
    ly.title(pdf, ctx.result_title, f"Mã hồ sơ: {ctx.dossier_code}", qr_url=ctx.verify_url,
             qr_caption="Quét mã để xác minh văn bản")
    if ctx.legal_basis:
        ly.paragraph(pdf, f"Căn cứ {ctx.legal_basis};", style="I")
    ly.paragraph(pdf, f"Căn cứ kết quả thẩm định hồ sơ {ctx.dossier_code}, {ctx.agency_name} cấp "
                      f"{ly.nfc(ctx.result_title)[:1].lower()}{ly.nfc(ctx.result_title)[1:]} cho:")
    ly.field(pdf, "Tên tổ chức, cá nhân:", ctx.applicant_name, strong=True)
    ly.field(pdf, "Địa chỉ:", ctx.applicant_address)
    ly.field(pdf, "Thủ tục hành chính:", ctx.procedure_name)
    for label, value in ctx.details:
        ly.field(pdf, f"{label}:", value)
    ly.paragraph(pdf, "Tổ chức, cá nhân được cấp có trách nhiệm thực hiện đúng các quy định của pháp luật "
                      "liên quan. Văn bản này được ký số; tính toàn vẹn và người ký được xác minh bằng mã QR "
                      "hoặc tại trang xác minh văn bản của cơ quan.")
    ly.signatures(pdf, [(ctx.signer_heading, "(Ký số)", ctx.signer_name)],
                  left_note=["Nơi nhận:", "- Như trên;", "- Bộ phận Một cửa;", "- Lưu: VT, hồ sơ."], stamp=ctx.stamp)
    page, x, y, width, height = pdf.signature_boxes[-1]
    content = bytes(pdf.output())
    return RenderedResult(content=content, signature_box=SignatureBox(page=page, x=x, y=y, width=width,
                                                                      height=height,
                                                                      page_height=A4_PORTRAIT_HEIGHT))
