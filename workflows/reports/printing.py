"""One report table, printed the way a province files it, as XLSX (openpyxl) and as PDF (the forms' fpdf2
machinery and fonts, `workflows/documents/layout.py`): the agency block beside the national motto with the
place and date, the title, the period and what the report covers, the table with its Vietnamese headings and
the totals row, then the signatures of who drew it up (full name and title) and of the head of the agency.

Figures stay numbers in the workbook (counts as integers, rates as numbers shown with two decimals) so that
whoever receives it can add them up again; an absent rate (nothing to divide by) is an empty cell."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fpdf.enums import Align

from workflows.core.clock import ensure_utc, to_local
from workflows.documents import layout as ly
from workflows.documents.context import vn_date

if TYPE_CHECKING:
    from openpyxl.styles import Font

Cell = str | int | float | None
RATE_FORMAT = "0.00"
HEAD_HEADING = "Thủ trưởng cơ quan"


@dataclass(frozen=True)
class ReportTable:
    """What is printed: `rows` and `total` hold one value per heading; `rates` are the indices of the
    columns that are percentages; `widths` are the PDF's column widths in millimetres (landscape A4)."""

    parent_agency_name: str
    agency_name: str
    place_name: str
    issued_at: datetime
    title: str
    period_text: str
    scope_text: str
    headings: tuple[str, ...]
    widths: tuple[float, ...]
    rows: list[tuple[Cell, ...]]
    total: tuple[Cell, ...] | None = None
    rates: frozenset[int] = frozenset()
    text_columns: frozenset[int] = frozenset({1})  # left-aligned (names); the others are centred
    preparer_name: str = ""
    preparer_position: str = ""
    notes: Sequence[str] = field(default_factory=tuple)


def _shown(value: Cell, rate: bool) -> str:
    if value is None:
        return ""
    if rate and isinstance(value, int | float):
        return f"{value:.2f}".replace(".", ",")  # Vietnamese decimal comma
    return str(value)


def to_pdf(table: ReportTable) -> bytes:
    """The report as a landscape A4 PDF."""
    pdf = ly.FormPdf(landscape=True, footer_text=table.title)
    pdf.set_creation_date(ensure_utc(table.issued_at))
    pdf.set_title(table.title)
    pdf.set_author(ly.nfc(table.agency_name))
    ly.national_header(pdf, parent_agency=table.parent_agency_name, agency=table.agency_name, number=None,
                       place=table.place_name, issued_at=table.issued_at)
    ly.title(pdf, table.title, table.period_text)
    if table.scope_text:
        ly.paragraph(pdf, table.scope_text, style="B", align=Align.C)
    widths = (*table.widths[:-1], pdf.epw - sum(table.widths[:-1]))
    rows = [tuple(_shown(v, i in table.rates) for i, v in enumerate(row)) for row in table.rows]
    if table.total is not None:
        rows.append(tuple(_shown(v, i in table.rates) for i, v in enumerate(table.total)))
    aligns = tuple("LEFT" if i in table.text_columns else "CENTER" for i in range(len(table.headings)))
    ly.table(pdf, table.headings, rows, widths, size=7.5, aligns=aligns)
    for note in table.notes:
        ly.paragraph(pdf, note, style="I", size=8.5)
    ly.signatures(pdf, [("Người lập biểu", "(Ký, ghi rõ họ tên)", table.preparer_name, table.preparer_position),
                        (HEAD_HEADING, "(Ký, ghi rõ họ tên và đóng dấu)", "")])
    return bytes(pdf.output())


def to_xlsx(table: ReportTable, *, sheet_title: str) -> bytes:
    """The report as a workbook of one sheet: the same header, table, totals and signatures as the PDF."""
    # openpyxl (~13 MB, 200 modules) is imported by the first workbook, not by every server process.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    columns = len(table.headings)
    half = max(2, columns // 2)
    bold, italic = Font(name="Times New Roman", bold=True), Font(name="Times New Roman", italic=True)
    plain = Font(name="Times New Roman")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def put(row: int, first: int, last: int, value: Cell, font: Font = plain) -> None:
        if last > first:
            sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        cell = sheet.cell(row=row, column=first, value=value)
        cell.font, cell.alignment = font, centre

    local_day = to_local(ensure_utc(table.issued_at)).date()
    put(1, 1, half, table.parent_agency_name.upper())
    put(1, half + 1, columns, ly.MOTTO_1, bold)
    put(2, 1, half, table.agency_name.upper(), bold)
    put(2, half + 1, columns, ly.MOTTO_2, bold)
    put(3, half + 1, columns, f"{table.place_name}, {vn_date(local_day)}", italic)
    put(5, 1, columns, table.title.upper(), Font(name="Times New Roman", bold=True, size=13))
    put(6, 1, columns, table.period_text, italic)
    row = 7
    if table.scope_text:
        put(row, 1, columns, table.scope_text, bold)
        row += 1
    row += 1
    heading_row = row
    for index, heading in enumerate(table.headings, start=1):
        cell = sheet.cell(row=row, column=index, value=heading)
        cell.font, cell.alignment, cell.border = bold, centre, box
    sheet.row_dimensions[row].height = 60
    body = [*table.rows, *([table.total] if table.total is not None else [])]
    for number, values in enumerate(body, start=1):
        font = bold if table.total is not None and number == len(body) else plain
        for index, value in enumerate(values):
            cell = sheet.cell(row=row + number, column=index + 1, value=value)
            cell.font, cell.border = font, box
            cell.alignment = Alignment(vertical="center", wrap_text=True,
                                       horizontal="left" if index in table.text_columns else "center")
            if index in table.rates:
                cell.number_format = RATE_FORMAT
    row += len(body) + 2
    for note in table.notes:
        put(row, 1, columns, note, italic)
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="left", wrap_text=True)
        row += 1
    row += 1
    put(row, 1, half, "NGƯỜI LẬP BIỂU", bold)
    put(row, half + 1, columns, HEAD_HEADING.upper(), bold)
    put(row + 1, 1, half, "(Ký, ghi rõ họ tên)", italic)
    put(row + 1, half + 1, columns, "(Ký, ghi rõ họ tên và đóng dấu)", italic)
    put(row + 5, 1, half, table.preparer_name, bold)
    put(row + 6, 1, half, table.preparer_position, italic)
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(6.0, width * 0.55)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = f"{heading_row}:{heading_row}"  # the headings repeat on every printed page
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
