"""The province's reports as files: the QĐ 766 indicators, the on-time statistics (`workflows/statistics.py`)
and the Sổ theo dõi hồ sơ (Mẫu 07, `workflows/dossiers/registers.py`), each as XLSX or PDF through
`printing`. Each function reads what the JSON endpoints read (and audits it the same way) and returns the
file's bytes; `FORMATS` names them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlmodel import Session, col, select

from workflows import statistics
from workflows.collaborators import DomainServices
from workflows.documents.context import FormCode, vn_compact, vn_date
from workflows.documents.render import render_form
from workflows.dossiers import forms, registers
from workflows.identity.actor import Actor
from workflows.identity.naming import describe
from workflows.procedures.models import ProcedureVersion
from workflows.reports import indicators, printing
from workflows.reports.printing import Cell, ReportTable

Format = Literal["xlsx", "pdf"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf",
}
PARENT = "UBND TỈNH TUYÊN QUANG"  # as the forms print it (workflows/dossiers/forms.py)
PLACE = "Tuyên Quang"

INDICATOR_HEADINGS = (
    "STT", "", "Hồ sơ tiếp nhận trong kỳ", "Trong đó nộp trực tuyến", "Tỷ lệ hồ sơ trực tuyến (%)",
    "Hồ sơ cần giải quyết", "Đã giải quyết trước hạn, đúng hạn",
    "Đã giải quyết quá hạn", "Đang giải quyết trong hạn", "Đang giải quyết quá hạn", "Tỷ lệ đúng hạn (%)",
    "Hồ sơ có kết quả trong kỳ", "Trong đó kết quả điện tử", "Tỷ lệ kết quả điện tử (%)",
    "Hồ sơ có phí, lệ phí", "Trong đó thanh toán trực tuyến", "Tỷ lệ thanh toán trực tuyến (%)",
    "Số lượt đánh giá", "Rất hài lòng, hài lòng", "Tỷ lệ hài lòng (%)",
)
INDICATOR_RATES = frozenset({4, 10, 13, 16, 19})
STATISTICS_HEADINGS = (
    "STT", "Cơ quan giải quyết", "Thủ tục hành chính", "Tiếp nhận trong kỳ", "Kỳ trước chuyển sang",
    "Đã giải quyết trước hạn", "Đã giải quyết đúng hạn", "Đã giải quyết quá hạn", "Đang giải quyết trong hạn",
    "Đang giải quyết quá hạn", "Tỷ lệ đúng hạn (%)", "Số lượt đánh giá", "Tỷ lệ hài lòng (%)",
)
STATISTICS_RATES = frozenset({10, 12})
REGISTER_HEADINGS = (
    "STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
    "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả",
    "Ngày chuyển hồ sơ đến cơ quan giải quyết", "Ngày nhận kết quả từ cơ quan giải quyết", "Ngày trả kết quả",
    "Ký nhận", "Ghi chú",
)


def period_text(start: date, end: date) -> str:
    return f"Từ {vn_date(start)} đến {vn_date(end)}"


def _render(table: ReportTable, fmt: Format, sheet: str) -> bytes:
    return printing.to_xlsx(table, sheet_title=sheet) if fmt == "xlsx" else printing.to_pdf(table)


def _preparer(session: Session, actor: Actor) -> tuple[str, str]:
    """Who drew the report up, by full name and title (never the login)."""
    named = describe(session, username=actor.username) if actor.kind == "official" else None
    return (named.full_name, named.position) if named else (actor.display_name, "")


def _base(session: Session, actor: Actor, services: DomainServices) -> dict[str, object]:
    name, position = _preparer(session, actor)
    return {"parent_agency_name": PARENT, "place_name": PLACE, "issued_at": services.clock.now(),
            "agency_name": forms.agency_name(session, code=actor.agency_code or services.settings.agency_code,
                                             services=services),
            "preparer_name": name, "preparer_position": position}


def _indicator_cells(number: Cell, row: indicators.IndicatorRow) -> tuple[Cell, ...]:
    return (number, row.name, row.received, row.received_online, row.online_rate, row.processed,
            row.finished_on_time, row.finished_late, row.in_progress_on_time, row.in_progress_late,
            row.on_time_rate, row.with_result, row.e_results, row.e_result_rate, row.with_fee, row.paid_online,
            row.online_payment_rate, row.rated, row.satisfied, row.satisfaction_rate)


def indicators_file(session: Session, *, actor: Actor, services: DomainServices, start: date, end: date,
                    group_by: indicators.GroupBy, fmt: Format) -> bytes:
    """The QĐ 766 indicators (`indicators.report`) as a file: one row per group, the totals row last."""
    report = indicators.report(session, actor=actor, services=services, start=start, end=end, group_by=group_by)
    headings = (INDICATOR_HEADINGS[0], indicators.GROUP_TITLES[group_by], *INDICATOR_HEADINGS[2:])
    table = ReportTable(
        **_base(session, actor, services),  # type: ignore[arg-type]
        title="Báo cáo kết quả thực hiện Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg)",
        period_text=period_text(start, end), scope_text=f"Phạm vi: {report.scope_name} — theo "
                                                        f"{indicators.GROUP_TITLES[group_by].lower()}",
        headings=headings, widths=(8, 50, *(11.5,) * 18), rates=INDICATOR_RATES,
        rows=[_indicator_cells(i, row) for i, row in enumerate(report.rows, start=1)],
        total=_indicator_cells("", report.total),
        notes=("Hồ sơ cần giải quyết = hồ sơ tiếp nhận trong kỳ + hồ sơ kỳ trước chuyển sang. Tỷ lệ đúng hạn = "
               "(đã giải quyết trước hạn, đúng hạn + đang giải quyết trong hạn) ÷ hồ sơ cần giải quyết; tỷ lệ "
               "hài lòng = (rất hài lòng + hài lòng) ÷ số lượt đánh giá.",))
    return _render(table, fmt, "Chi so 766")


def statistics_file(session: Session, *, actor: Actor, services: DomainServices, start: date, end: date,
                    agency_code: str | None, fmt: Format) -> bytes:
    """The on-time statistics (`statistics.report`) as a file: a row per agency and procedure, each agency's
    subtotal after its procedures, the totals row last."""
    report = statistics.report(session, actor=actor, services=services, start=start, end=end,
                               agency_code=agency_code)
    codes = {r.procedure_code for r in report.rows}
    procedures = {v.code: v.name for v in session.exec(
        select(ProcedureVersion).where(col(ProcedureVersion.code).in_(codes))
        .order_by(col(ProcedureVersion.version))).all()}

    def cells(number: Cell, agency: str, procedure: str, r: statistics.Row) -> tuple[Cell, ...]:
        return (number, agency, procedure, r.received, r.carried_over, r.finished_early, r.finished_on_time,
                r.finished_late, r.in_progress_on_time, r.in_progress_late, r.on_time_rate,
                r.satisfaction.rated, r.satisfaction.satisfaction_rate)

    rows: list[tuple[Cell, ...]] = []
    number = 0
    for agency in report.agencies:
        name = forms.agency_name(session, code=agency.agency_code, services=services)
        for r in (r for r in report.rows if r.agency_code == agency.agency_code):
            number += 1
            rows.append(cells(number, name, procedures.get(r.procedure_code, r.procedure_code), r))
        rows.append(cells("", name, "Cộng", agency))
    table = ReportTable(
        **_base(session, actor, services),  # type: ignore[arg-type]
        title="Thống kê tình hình giải quyết hồ sơ thủ tục hành chính",
        period_text=period_text(start, end),
        scope_text=f"Phạm vi: {indicators.scope_name(session, actor=actor, services=services)}",
        headings=STATISTICS_HEADINGS, widths=(8, 45, 60, *(14.0,) * 10), rates=STATISTICS_RATES,
        text_columns=frozenset({1, 2}),
        rows=rows, total=cells("", "Tổng cộng", "", report.total))
    return _render(table, fmt, "Thong ke")


def register_file(session: Session, *, actor: Actor, services: DomainServices, start: date, end: date,
                  fmt: Format) -> bytes:
    """The Sổ theo dõi hồ sơ (Mẫu 07) as a file: the PDF is the form itself; the workbook has its columns."""
    ctx = registers.register_context(session, actor=actor, services=services, start=start, end=end, export=fmt)
    if fmt == "pdf":
        return render_form(FormCode.MAU_07, ctx)
    rows: list[tuple[Cell, ...]] = []
    for i, entry in enumerate(ctx.register_rows, start=1):
        contact = "\n".join(part for part in (entry.applicant_address, entry.applicant_phone_masked) if part)
        rows.append((i, entry.dossier_code, entry.procedure_name, entry.dossier_sets, entry.applicant_name, contact,
                     entry.lead_agency, *(vn_compact(v).replace("\n", " ") for v in (
                         entry.received_at, entry.appointment_at, entry.transferred_at, entry.result_received_at,
                         entry.returned_at)), "", entry.note))
    name, position = _preparer(session, actor)
    table = ReportTable(
        parent_agency_name=ctx.parent_agency_name, agency_name=ctx.agency_name, place_name=ctx.place_name,
        issued_at=ctx.issued_at, title=FormCode.MAU_07.title_vi, period_text=period_text(start, end),
        scope_text="", headings=REGISTER_HEADINGS, text_columns=frozenset({1, 2, 4, 5, 6, 13}),
        widths=(8, 31, 29, 11, 28, 26, 21, 18, 18, 18, 18, 18, 12, 20),
        rows=rows, notes=(f"Tổng số: {len(rows)} hồ sơ.",), preparer_name=name, preparer_position=position)
    return printing.to_xlsx(table, sheet_title="So theo doi ho so")
