"""Drawing primitives shared by the forms: the page, the two-column national header, labelled lines that
wrap, tables, signature blocks and the lookup QR code. Every text goes through `nfc` so that decomposed
Vietnamese input (combining marks) prints with the font's precomposed glyphs."""

from __future__ import annotations

import copy
import functools
import io
import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from fontTools import subset, ttLib
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TextEmphasis, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import OutputProducer

from workflows.core.clock import ensure_utc, to_local
from workflows.documents.context import FormCode, vn_date

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVuSerif"
FACES = {"": "", "B": "-Bold", "I": "-Italic", "BI": "-BoldItalic"}  # style → file suffix
MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
LINE = 5.3  # body line height, mm
BODY_PT = 10.5
QR_SIZE = 22.0
SIGNATURE_SPACE = 17.0  # mm between a signing block's hint and the signer's name: the signature goes there


def nfc(text: object) -> str:
    return unicodedata.normalize("NFC", "" if text is None else str(text))


@functools.cache
def _parsed_face(path: str, fontkey: str, style: str) -> TTFFont:
    """A face parsed once per process: metrics, character map and glyph ids, which no document changes.
    fpdf2's `add_font` parses the file again for every document (15-40 ms a face, four faces a form: the
    largest part of rendering one, docs/PERFORMANCE.md)."""
    return TTFFont(FPDF(), Path(path), fontkey, style)


# What a Vietnamese form prints: Latin with its supplements and extensions (Ơ, Ư in Extended-B, the
# Vietnamese letters in Extended Additional), spacing modifiers and combining marks, punctuation,
# super/subscripts, currency (€), letterlike symbols (№), arrows, mathematical operators, box drawing, shapes,
# symbols and dingbats (□, as far as DejaVu Serif has them). A document that uses any other character is
# written with the whole face.
LEAN_RANGES = ((0x20, 0x7E), (0xA0, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x22FF), (0x2500, 0x27BF))
# What nearly every document prints, and all the forms' own text: ASCII, Latin-1 (², ½, ×, °, §), the letters
# of Vietnamese (Ă Đ Ĩ Ũ Ơ Ư and Extended Additional), its tone marks, dashes, quotes, bullets and the ellipsis,
# ‰, €, №, arrows, −, ≤, ≥ and squares (DejaVu Serif has no ₫, ☐ or ✓). The first cut a document is written
# from.
CORE_RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x102, 0x103), (0x110, 0x111), (0x128, 0x129), (0x168, 0x169),
               (0x1A0, 0x1A1), (0x1AF, 0x1B0), (0x300, 0x303), (0x309, 0x309), (0x323, 0x323), (0x1EA0, 0x1EF9),
               (0x2010, 0x2026), (0x2030, 0x2030), (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2190, 0x2193),
               (0x2212, 0x2212), (0x2264, 0x2265), (0x25A0, 0x25A1))
CUTS = {"core": CORE_RANGES, "lean": LEAN_RANGES}  # smallest first


@functools.cache
def _cut_face(path: str, cut: str) -> tuple[bytes, frozenset[str]]:
    """The face at `path` cut down to the ranges of `CUTS[cut]` (DejaVu Serif has 3,528 glyphs; "lean" keeps
    about 1,780 and "core" 361, with the same glyph names), and the names it keeps. fpdf2 subsets a document's
    faces when it writes the PDF, reading every table of the face it was given (the glyphs, their metrics and
    names): a large part of writing a form, which grows with the glyphs the face has (docs/PERFORMANCE.md,
    "The fonts of every form"). The layout tables are dropped: fpdf2 drops them when it embeds a face, and
    shapes no text. The font-wide boxes and maxima (head, hhea, maxp) stay the whole face's
    (recalcBBoxes=False), so that a document comes out byte for byte the same from either cut or from the whole
    face. Built once per process (0.1-0.15 s a face and cut), before the fork under `serve --workers N`
    (`load_faces`)."""
    font = ttLib.TTFont(path, recalcTimestamp=False, recalcBBoxes=False)
    options = subset.Options(glyph_names=True, notdef_outline=True, recommended_glyphs=True, hinting=True,
                             name_IDs=["*"], name_languages=["*"], layout_features=[])
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM", "hdmx", "MATH", "kern"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=itertools.chain.from_iterable(range(a, b + 1) for a, b in CUTS[cut]))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), frozenset(font.getGlyphOrder())


def _face_file(style: str) -> str:
    return str(FONT_DIR / f"{FONT}{FACES[style]}.ttf")


def _fontkey(style: str) -> str:
    return f"{FONT.lower()}{style}"  # as FPDF.add_font names a face, so that FPDF.set_font finds it


def load_faces() -> None:
    """Parse every face and build its cuts in this process (`api.main.preload`, before the fork)."""
    for style in FACES:
        _parsed_face(_face_file(style), _fontkey(style), style)
        for cut in CUTS:
            _cut_face(_face_file(style), cut)


def _document_face(pdf: FPDF, path: str, fontkey: str, style: str) -> TTFFont:
    """`pdf`'s own copy of a parsed face, sharing what no document changes; documents are rendered in
    several threads at once (the request threads, the relays), so what one changes is its own: the subset
    of glyphs it used and their codes, the glyphs it missed, the font descriptor, and the fontTools object, which
    fpdf2 cuts down to that subset in place when it writes the PDF; that object is reopened lazily (its
    tables are read when the subset is made, and only for the faces the document used). The widths map is
    copied because fpdf2's default-width lookup adds the characters it did not find. Tied to fpdf2's
    `TTFFont` fields (2.8): tests/documents/test_render.py renders documents one after another in a process
    and reads every one back."""
    parsed = _parsed_face(path, fontkey, style)
    face = copy.copy(parsed)
    face.i = len(pdf.fonts) + 1
    # Without recalcBBoxes=False, saving the subset expands and re-encodes every glyph it keeps to compute
    # its box again (a third of writing a form); the boxes in the file are right as they are.
    face.ttfont = ttLib.TTFont(path, recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    face.cw = defaultdict(parsed.cw.default_factory, parsed.cw)
    # fpdf2 numbers the font descriptor as an object of the PDF it writes and hangs that PDF's font stream on
    # it (`OutputProducer._add_fonts`): shared, two documents written at once in two threads took each
    # other's numbers, and one of them failed with a KeyError in its cross-reference table (or, worse, would
    # have pointed at the other's stream).
    face.desc = copy.copy(parsed.desc)
    face.missing_glyphs = []
    face.biggest_size_pt = 0
    face._hbfont = None  # noqa: SLF001 - fpdf2's HarfBuzz face, per document as add_font makes it
    face.subset = SubsetMap(face)
    return face


class _CutFacesOutput(OutputProducer):
    """fpdf2's PDF writer, which embeds the fonts once the document is closed: the moment every glyph the
    document uses is known. `_add_fonts` is fpdf2's (2.8, pinned below 2.9 in pyproject.toml); the tests of
    tests/documents/test_render.py fail if it stops being called."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> Any:
        self.fpdf.read_cut_faces()  # type: ignore[attr-defined]
        return super()._add_fonts(*args, **kwargs)


class FormPdf(FPDF):
    """An A4 page with the margins of administrative documents and a footer naming the dossier."""

    def __init__(self, *, landscape: bool = False, footer_text: str = "", lookup_url: str = "") -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.footer_text = nfc(footer_text)
        self.lookup_url = lookup_url
        # Where each signing block leaves room for the signature: (page index, x, y, width, height) in mm
        # from the page's top-left corner, in the order `signatures` drew them (a digital signature goes there).
        self.signature_boxes: list[tuple[int, float, float, float, float]] = []
        self.cuts: dict[str, str] = {}  # fontkey → the cut (`CUTS`) `output` wrote the face from, if any
        if landscape:
            self.set_margins(12, 12, 12)
        else:
            self.set_margins(25, 12, 15)  # wider left margin for binding, as on paper forms
        self.set_auto_page_break(True, margin=12)
        self.alias_nb_pages()
        self.add_page()
        self.set_font(FONT, "", BODY_PT)

    def set_font(self, family: str | None = None, style: str | TextEmphasis = "", size: float = 0) -> None:
        """fpdf2's `set_font`, adding the face of `style` the first time the document uses it: fpdf2 embeds
        (and subsets, its largest cost) every face it was given, used or not. fpdf2's own style switches
        (markdown, table headings) come through here too."""
        emphasis = style.style if isinstance(style, TextEmphasis) else style.upper()
        face = "".join(letter for letter in "BI" if letter in emphasis)
        fontkey = _fontkey(face)
        if (family or FONT).lower() == FONT.lower() and fontkey not in self.fonts:
            self.fonts[fontkey] = _document_face(self, _face_file(face), fontkey, face)
        super().set_font(family, style, size)

    def output(self) -> bytearray:  # type: ignore[override]
        """The PDF; each face is read from its smallest cut that has every glyph the document used."""
        return super().output(output_producer_class=_CutFacesOutput)

    def read_cut_faces(self) -> None:
        """Have fpdf2 make the subset of each face it embeds from the smallest cut of the face (`_cut_face`)
        that has every glyph the document used (the footers included, which fpdf2 draws as it closes the
        document), else from the whole face: the same glyph names, metrics and font-wide values, so the same
        bytes, from fewer glyphs to read."""
        for face in self.fonts.values():
            if not (isinstance(face, TTFFont) and Path(face.ttffile).parent == FONT_DIR):
                continue
            used = face.subset.get_all_glyph_names()
            for cut in CUTS:
                data, names = _cut_face(str(face.ttffile), cut)
                if names.issuperset(used):
                    self.cuts[face.fontkey] = cut
                    face.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False,
                                               lazy=True)
                    break

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "I", 8)
        parts = [self.footer_text] if self.footer_text else []
        # The lookup address (which names the dossier) for those who cannot scan; dropped when too long.
        with_url = [f"Tra cứu hồ sơ: {self.lookup_url}"]
        if self.lookup_url and self.get_string_width(" — ".join([*with_url, "Trang 9/9"])) < self.epw - 4:
            parts = with_url
        self.cell(0, 4, " — ".join([*parts, f"Trang {self.page_no()}/{{nb}}"]), align="C")


def form_label(pdf: FormPdf, form: FormCode) -> None:
    """Small right-aligned reference to the form above the header."""
    pdf.set_font(FONT, "I", 8)
    pdf.cell(0, 4, f"{form.label} — Phụ lục I, Thông tư số 03/2025/TT-VPCP", align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def national_header(pdf: FormPdf, *, parent_agency: str, agency: str, number: str | None,
                    place: str, issued_at: datetime) -> None:
    """Agency block (left) beside the national motto (right); both wrap; the body starts below the taller."""
    top = pdf.get_y()
    left_w = pdf.epw - 92
    right_x = pdf.l_margin + left_w + 2
    right_w = 90.0

    pdf.set_xy(pdf.l_margin, top)
    if parent_agency:
        pdf.set_font(FONT, "", 9.5)
        _centered(pdf, left_w, nfc(parent_agency).upper(), 5)
    pdf.set_font(FONT, "B", 9.5)
    _centered(pdf, left_w, nfc(agency).upper(), 5)
    _rule(pdf, pdf.l_margin + left_w / 2, pdf.get_y() + 1, min(left_w / 3, 30))
    pdf.set_y(pdf.get_y() + 3)
    if number is not None:
        pdf.set_font(FONT, "", 10)
        _centered(pdf, left_w, f"Số: {nfc(number) or '…/…'}", 5)
    left_bottom = pdf.get_y()

    pdf.set_xy(right_x, top)
    pdf.set_font(FONT, "B", 10)
    _centered(pdf, right_w, MOTTO_1, 5, x=right_x)
    pdf.set_font(FONT, "B", 10.5)
    _centered(pdf, right_w, MOTTO_2, 5, x=right_x)
    _rule(pdf, right_x + right_w / 2, pdf.get_y() + 1, pdf.get_string_width(MOTTO_2))
    pdf.set_y(pdf.get_y() + 3)
    pdf.set_font(FONT, "I", 10)
    local_day = to_local(ensure_utc(issued_at)).date()
    dated = f"{nfc(place)}, {vn_date(local_day)}" if place else vn_date(local_day).capitalize()
    _centered(pdf, right_w, dated, 5, x=right_x)
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 4)
    pdf.set_font(FONT, "", BODY_PT)


def title(pdf: FormPdf, text: str, subtitle: str = "", *, qr_url: str = "",
          qr_caption: str = "Quét mã để tra cứu hồ sơ") -> None:
    """The form's title, centred; with `qr_url`, the QR code (the lookup's, or `qr_caption`'s) sits at the
    right of the title."""
    top = pdf.get_y()
    inset = QR_SIZE + 3 if qr_url else 0.0
    if qr_url:
        x = pdf.l_margin + pdf.epw - QR_SIZE
        pdf.image(qr_png(qr_url), x=x, y=top, w=QR_SIZE, h=QR_SIZE)
        pdf.set_font(FONT, "I", 7)
        _centered(pdf, QR_SIZE + 4, qr_caption, 3, x=x - 2, y=top + QR_SIZE)
    qr_bottom = pdf.get_y()
    # Centred in the width the QR code leaves, so that long titles keep to as few lines as possible.
    pdf.set_xy(pdf.l_margin, top + (3 if qr_url else 0))
    pdf.set_font(FONT, "B", 12.5)
    _centered(pdf, pdf.epw - inset, nfc(text).upper(), 6.5)
    if subtitle:
        pdf.set_font(FONT, "I", 11)
        _centered(pdf, pdf.epw - inset, nfc(subtitle), 5.5)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y() + 3, qr_bottom + 1))
    pdf.set_font(FONT, "", BODY_PT)


def field(pdf: FormPdf, label: str, value: str, *, strong: bool = False) -> None:
    """`Label: value` on as many lines as it takes (continuation lines start at the left margin)."""
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FONT, "", BODY_PT)
    pdf.write(LINE, nfc(label) + " ")
    pdf.set_font(FONT, "B" if strong else "", BODY_PT)
    pdf.write(LINE, nfc(value) or "…")
    pdf.set_font(FONT, "", BODY_PT)
    pdf.ln(LINE)


def item(pdf: FormPdf, text: str, *, indent: float = 5.0) -> None:
    """A dash item, indented, wrapped under its own start."""
    pdf.set_font(FONT, "", BODY_PT)
    pdf.set_x(pdf.l_margin + indent)
    pdf.cell(4, LINE, "-")
    pdf.multi_cell(pdf.epw - indent - 4, LINE, nfc(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def paragraph(pdf: FormPdf, text: str, *, style: str = "", align: Align = Align.J,
              size: float = BODY_PT) -> None:
    pdf.set_font(FONT, style, size)
    # Small print (notes) gets lines in proportion, so that a note keeps to the page it starts on.
    height = LINE if size >= BODY_PT else round(LINE * size / BODY_PT + 0.2, 1)
    pdf.multi_cell(0, height, nfc(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", BODY_PT)


def table(pdf: FormPdf, headings: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float],
          *, size: float = 10, aligns: Sequence[str] | None = None) -> None:
    """A bordered table whose cells wrap; headings repeat on every page the table runs onto."""
    pdf.set_font(FONT, "", size)
    with pdf.table(col_widths=tuple(widths), width=sum(widths), text_align="LEFT", line_height=size * 0.5,
                   headings_style=FontFace(emphasis="BOLD"), padding=1, v_align="MIDDLE") as tbl:
        head = tbl.row()
        for heading in headings:
            head.cell(nfc(heading), align="CENTER")
        for values in rows:
            row = tbl.row()
            for index, value in enumerate(values):
                row.cell(nfc(value), align=(aligns[index] if aligns else "LEFT"))
    pdf.ln(2)
    pdf.set_font(FONT, "", BODY_PT)


def signatures(pdf: FormPdf, blocks: Sequence[tuple[str, ...]], *,
               left_note: Sequence[str] | None = None, stamp: Sequence[str] = ()) -> None:
    """Signature blocks `(heading, hint, name[, position])` side by side; a heading may hold several lines
    ("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"); the position, when given, prints in small italics under the name. A
    single block sits on the right half, with an optional `Nơi nhận` list on the left as on official
    letters. Kept on one page. `stamp` (the lines of a digital signature: who, title, agency, when) is
    printed framed in the room of the last block, the official's, where the signature's widget will go."""
    needed = 50.0 + (len(left_note or []) * 4.5 if left_note else 0)
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(3)
    top = pdf.get_y()
    bottoms = [top]
    if len(blocks) == 1:
        columns = [(pdf.l_margin + pdf.epw / 2, pdf.epw / 2)]
    else:
        width = pdf.epw / len(blocks)
        columns = [(pdf.l_margin + i * width, width) for i in range(len(blocks))]
    if left_note:
        pdf.set_xy(pdf.l_margin, top)
        pdf.set_font(FONT, "BI", 10)
        pdf.multi_cell(pdf.epw / 2 - 4, 5, nfc(left_note[0]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9)
        for line in left_note[1:]:
            pdf.multi_cell(pdf.epw / 2 - 4, 4.5, nfc(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    for index, (block, (x, width)) in enumerate(zip(blocks, columns, strict=True)):
        block_title, hint, name, position = (*block, "")[:4]
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 11)
        _centered(pdf, width, nfc(block_title).upper(), 5.5, x=x)
        pdf.set_font(FONT, "I", 9.5)
        _centered(pdf, width, nfc(hint), 5, x=x)
        box_width = min(width - 4, 72.0)
        pdf.signature_boxes.append((pdf.page_no() - 1, x + (width - box_width) / 2, pdf.get_y() + 0.5, box_width,
                                    SIGNATURE_SPACE - 1))
        if stamp and index == len(blocks) - 1:
            _stamp(pdf, pdf.signature_boxes[-1][1:], stamp)
        pdf.set_y(pdf.get_y() + SIGNATURE_SPACE)
        pdf.set_font(FONT, "B", 11)
        _centered(pdf, width, nfc(name), 5.5, x=x)
        if position:
            pdf.set_font(FONT, "I", 9)
            _centered(pdf, width - 4, nfc(position), 4.5, x=x + 2)
        bottoms.append(pdf.get_y())
    pdf.set_xy(pdf.l_margin, max(bottoms) + 2)
    pdf.set_font(FONT, "", BODY_PT)


STAMP_COLOUR = (0, 51, 153)  # the blue of digital-signature stamps on Vietnamese e-documents


def _stamp(pdf: FormPdf, box: tuple[float, float, float, float], lines: Sequence[str]) -> None:
    """The framed lines of a digital signature inside `box` (x, y, width, height, mm), at the largest size
    from 7.5 pt down to 5.5 pt at which the wrapped lines fit. Leaves the cursor where it was."""
    x, y, width, height = box
    here = pdf.get_x(), pdf.get_y()
    text = "\n".join(nfc(line) for line in lines)
    for size in (7.5, 7.0, 6.5, 6.0, 5.5):
        pdf.set_font(FONT, "", size)
        line_height = size * 0.42
        wrapped = pdf.multi_cell(width - 3, line_height, text, align=Align.L, dry_run=True, output="LINES")
        if len(wrapped) * line_height <= height - 2:
            break
    pdf.set_draw_color(*STAMP_COLOUR)
    pdf.set_text_color(*STAMP_COLOUR)
    pdf.set_line_width(0.3)
    pdf.rect(x, y, width, height)
    pdf.set_xy(x + 1.5, y + (height - len(wrapped) * line_height) / 2)
    pdf.multi_cell(width - 3, line_height, text, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(*here)


def qr_png(url: str) -> io.BytesIO:
    """PNG of the QR code (error correction M, 4-module quiet zone) — the image embedded in the PDF."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return buffer


def _centered(pdf: FormPdf, width: float, text: str, height: float, *, x: float | None = None,
              y: float | None = None) -> None:
    if y is not None:
        pdf.set_y(y)
    pdf.set_x(pdf.l_margin if x is None else x)
    pdf.multi_cell(width, height, text, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _rule(pdf: FormPdf, center_x: float, y: float, length: float) -> None:
    pdf.set_line_width(0.3)
    pdf.line(center_x - length / 2, y, center_x + length / 2, y)
