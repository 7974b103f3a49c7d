"""Reports for the province (issue 23 item 4): the QĐ 766 indicators as JSON, XLSX and PDF; the on-time
statistics and the Sổ theo dõi hồ sơ (Mẫu 07) as XLSX and PDF. Who may read them is who may read the
statistics (supervisors) and the register (the desk, the division head, the agency's supervisor)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import DomainDep, SessionDep
from api.files import attachment
from api.routers.registers import Registrar, Supervisor
from workflows.reports import exports, indicators

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

From = Annotated[date, Query(alias="from", description="Từ ngày (YYYY-MM-DD, ngày theo giờ Việt Nam)")]
To = Annotated[date, Query(description="Đến ngày (YYYY-MM-DD, tính cả ngày này)")]
GroupBy = Annotated[indicators.GroupBy, Query(description="agency | procedure | department | official")]
Agency = Annotated[str | None, Query(max_length=40, description="Chỉ một cơ quan giải quyết")]
XLSX = {200: {"content": {exports.MEDIA_TYPES["xlsx"]: {}}}}
PDF = {200: {"content": {exports.MEDIA_TYPES["pdf"]: {}}}}


def _file(content: bytes, fmt: exports.Format, name: str) -> Response:
    return Response(content, media_type=exports.MEDIA_TYPES[fmt], headers=attachment(f"{name}.{fmt}"))


@router.get("/indicators", response_model=indicators.IndicatorReport,
            summary="Bộ chỉ số 766 (đúng hạn, trực tuyến, kết quả điện tử, thanh toán trực tuyến, hài lòng)")
def indicator_report(session: SessionDep, actor: Supervisor, domain: DomainDep, from_: From, to: To,
                     group_by: GroupBy = indicators.GroupBy.AGENCY) -> indicators.IndicatorReport:
    return indicators.report(session, actor=actor, services=domain, start=from_, end=to, group_by=group_by)


@router.get("/indicators.xlsx", response_class=Response, responses=XLSX, summary="Bộ chỉ số 766 (XLSX)")
def indicator_xlsx(session: SessionDep, actor: Supervisor, domain: DomainDep, from_: From, to: To,
                   group_by: GroupBy = indicators.GroupBy.AGENCY) -> Response:
    content = exports.indicators_file(session, actor=actor, services=domain, start=from_, end=to,
                                      group_by=group_by, fmt="xlsx")
    return _file(content, "xlsx", f"chi-so-766-{group_by.value}-{from_}-{to}")


@router.get("/indicators.pdf", response_class=Response, responses=PDF, summary="Bộ chỉ số 766 (PDF)")
def indicator_pdf(session: SessionDep, actor: Supervisor, domain: DomainDep, from_: From, to: To,
                  group_by: GroupBy = indicators.GroupBy.AGENCY) -> Response:
    content = exports.indicators_file(session, actor=actor, services=domain, start=from_, end=to,
                                      group_by=group_by, fmt="pdf")
    return _file(content, "pdf", f"chi-so-766-{group_by.value}-{from_}-{to}")


@router.get("/statistics.xlsx", response_class=Response, responses=XLSX,
            summary="Thống kê giải quyết hồ sơ theo cơ quan, thủ tục (XLSX)")
def statistics_xlsx(session: SessionDep, actor: Supervisor, domain: DomainDep, from_: From, to: To,
                    agency: Agency = None) -> Response:
    content = exports.statistics_file(session, actor=actor, services=domain, start=from_, end=to,
                                      agency_code=agency, fmt="xlsx")
    return _file(content, "xlsx", f"thong-ke-{from_}-{to}")


@router.get("/statistics.pdf", response_class=Response, responses=PDF,
            summary="Thống kê giải quyết hồ sơ theo cơ quan, thủ tục (PDF)")
def statistics_pdf(session: SessionDep, actor: Supervisor, domain: DomainDep, from_: From, to: To,
                   agency: Agency = None) -> Response:
    content = exports.statistics_file(session, actor=actor, services=domain, start=from_, end=to,
                                      agency_code=agency, fmt="pdf")
    return _file(content, "pdf", f"thong-ke-{from_}-{to}")


@router.get("/register.xlsx", response_class=Response, responses=XLSX,
            summary="Sổ theo dõi hồ sơ (Mẫu 07) (XLSX)")
def register_xlsx(session: SessionDep, actor: Registrar, domain: DomainDep, from_: From, to: To) -> Response:
    content = exports.register_file(session, actor=actor, services=domain, start=from_, end=to, fmt="xlsx")
    return _file(content, "xlsx", f"so-theo-doi-{from_}-{to}")


@router.get("/register.pdf", response_class=Response, responses=PDF, summary="Sổ theo dõi hồ sơ (Mẫu 07) (PDF)")
def register_pdf(session: SessionDep, actor: Registrar, domain: DomainDep, from_: From, to: To) -> Response:
    content = exports.register_file(session, actor=actor, services=domain, start=from_, end=to, fmt="pdf")
    return _file(content, "pdf", f"so-theo-doi-{from_}-{to}")
