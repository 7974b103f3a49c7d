"""Issue 23 item 4 on both databases: the QĐ 766 indicators per agency, procedure, department and case
officer, over HTTP as JSON, XLSX and PDF; the statistics and the register (Mẫu 07) as XLSX and PDF.

A handful of dossiers with known outcomes are written directly (early, on the due day, late, still within
the appointment, carried over and late, refused at the desk, online, paid online, with an electronic result,
rated at each level, each with its case officer's step); the workbook is opened with openpyxl and every
figure is checked against a count made here, dossier by dossier, from the database; the PDF's text carries
the headings, the names and the figures; a bad period is refused in Vietnamese naming the field."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pypdf
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from flows import Login
from sqlmodel import Session, select

from engine.models import ProcessDefinition, ProcessInstance, WorkItem
from workflows.core.clock import VN_TZ, ManualClock, ensure_utc, to_local
from workflows.core.db import session_scope
from workflows.documents.models import DocumentKind, DossierDocument
from workflows.dossiers.models import Dossier
from workflows.identity.models import Department, Official
from workflows.identity.service import actor_of_official
from workflows.procedures.models import ProcedureVersion
from workflows.ratings.models import SatisfactionRating
from workflows.reports import indicators

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
SO, XA1 = "H60.22", "H60.71"
KARAOKE, LE_HOI_XA = "VHTTDL-KARAOKE", "VHTTDL-LE-HOI-CAP-XA"


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


# code suffix, agency, procedure, channel, submitted, due, finished, status, e-result, paid online, rating,
# case officer: every outcome the indicators tell apart.
CASES: list[tuple[Any, ...]] = [
    (1, SO, KARAOKE, "counter", local(3, 9), local(10, 17), local(6, 10), "DA_TRA_KET_QUA", True, True,
     "rat_hai_long", "chuyen_vien"),  # early, e-result, paid online, very satisfied
    (2, SO, KARAOKE, "online", local(4, 9), local(10, 17), local(12, 9), "DA_TRA_KET_QUA", False, False,
     "khong_hai_long", "chuyen_vien_2"),  # late, paper result, paid at the desk, dissatisfied
    (3, SO, KARAOKE, "online", local(5, 9), local(12, 17), local(12, 10), "DA_XU_LY_XONG", True, True,
     None, "chuyen_vien"),  # on the appointment day, waiting to be collected, not rated
    (4, SO, KARAOKE, "counter", local(20, 9), local(5, 17, month=12), None, "DANG_THAM_DINH", False, False,
     None, "chuyen_vien_2"),  # in progress, within its appointment at the end of the period
    (5, SO, KARAOKE, "counter", local(6, 9), None, local(6, 9, 30), "KHONG_TIEP_NHAN", False, False,
     None, None),  # refused at the desk: no case officer
    (6, XA1, LE_HOI_XA, "online", local(8, 9), local(14, 17), local(13, 15), "DA_TRA_KET_QUA", True, False,
     "hai_long", "chuyen_vien_xa1"),  # the commune: early, e-result, no fee, satisfied
    (7, SO, KARAOKE, "counter", local(1, 9, month=10), local(8, 17, month=10), local(7, 9, month=10),
     "DA_TRA_KET_QUA", True, True, "hai_long", "chuyen_vien"),  # ended before the period: not counted
    (8, SO, KARAOKE, "counter", local(20, 9, month=10), local(5, 17), None, "DANG_THAM_DINH", False, False,
     None, "chuyen_vien"),  # carried over, late
]
RATES = ("online_rate", "on_time_rate", "e_result_rate", "online_payment_rate", "satisfaction_rate")


def seed(db: Any) -> None:
    with session_scope(db) as session:
        departments = {d.agency_code: d for d in session.exec(select(Department)).all()
                       if d.unit_key in ("QLVH", "VHXH")}
        versions = {p.code: p for p in session.exec(select(ProcedureVersion)).all()}
        definition = session.exec(select(ProcessDefinition)).first()
        assert definition is not None  # the demo deploys the processes
        for n, agency, procedure, channel, submitted, due, finished, status, e_result, paid, rating, officer in CASES:
            department = departments[agency]
            code = f"{agency}-261101-{9000 + n}"
            dossier = Dossier(
                code=code, agency_code=agency, department_id=department.id or 0, received_agency_code=agency,
                received_department_id=department.id or 0, current_agency_code=agency,
                procedure_version_id=versions[procedure].id or 0, procedure_code=procedure, process_key="x",
                channel=channel, status=status, national_status=4, applicant_name=f"Người nộp số {n}",
                applicant_name_search=f"nguoi nop so {n}", submitted_at=submitted,
                accepted_at=submitted if due else None, due_at=due, finished_at=finished,
                returned_at=finished if status == "DA_TRA_KET_QUA" else None, paid_online=paid,
                created_by="test", created_at=submitted, updated_at=submitted)
            session.add(dossier)
            session.flush()
            if e_result:
                session.add(DossierDocument(dossier_code=code, kind=DocumentKind.RESULT.value, filename="giay-phep.pdf",
                                            media_type="application/pdf", size=1, sha256="0" * 64,
                                            storage_key="x", created_at=finished, created_by="van_thu"))
            session.add(DossierDocument(dossier_code=code, kind=DocumentKind.UPLOAD.value, filename="don.pdf",
                                        media_type="application/pdf", size=1, sha256="1" * 64, storage_key="y",
                                        created_at=submitted, created_by="mot_cua"))
            if rating:
                session.add(SatisfactionRating(dossier_id=dossier.id or 0, level=rating, criteria={},
                                               rated_at=finished))
            if officer:
                instance = ProcessInstance(definition_id=definition.id or 0, process_key=definition.key,
                                           business_key=code, status="running", state_json="{}",
                                           serializer_version="1", created_at=submitted, updated_at=submitted)
                session.add(instance)
                session.flush()
                # An earlier case officer's step reassigned away: the last one is who counts.
                session.add(WorkItem(id=f"w-{n}-a", instance_id=instance.id or 0, business_key=code, process_key="x",
                                     element_id="tham_dinh", lane="CHUYEN_VIEN", assignee="chuyen_vien_dl",
                                     state="cancelled", created_at=submitted))
                session.add(WorkItem(id=f"w-{n}-b", instance_id=instance.id or 0, business_key=code, process_key="x",
                                     element_id="tham_dinh", lane="CHUYEN_VIEN", assignee=officer,
                                     state="completed" if finished else "open",
                                     completed_by=officer if finished else None,
                                     created_at=ensure_utc(submitted).replace(hour=ensure_utc(submitted).hour + 1)))


def expected(db: Any, group_by: str, *, now: datetime, since: datetime = datetime(2026, 11, 1, tzinfo=VN_TZ),
             until: datetime = datetime(2026, 12, 1, tzinfo=VN_TZ)) -> dict[str, Counter[str]]:
    """The indicators for [since, until) counted here, dossier by dossier, from what the database holds;
    keyed by the name printed for the group (the official's full name, the agency's code, …)."""
    end = min(until, now)
    out: dict[str, Counter[str]] = {}
    with Session(db) as session:
        charged = {v.id for v in session.exec(select(ProcedureVersion)).all() if v.fees}
        officials = {o.username: o for o in session.exec(select(Official)).all()}
        departments = {d.id: d for d in session.exec(select(Department)).all()}
        for d in session.exec(select(Dossier)).all():
            submitted = ensure_utc(d.submitted_at)
            finished = ensure_utc(d.finished_at) if d.finished_at else None
            items = session.exec(select(WorkItem).where(WorkItem.business_key == d.code,
                                                        WorkItem.lane == "CHUYEN_VIEN")).all()
            last = max(items, key=lambda i: ensure_utc(i.created_at)) if items else None
            officer = (last.completed_by or last.assignee) if last else None
            key = {"agency": d.agency_code, "procedure": d.procedure_code,
                   "department": departments[d.department_id].code,
                   "official": officials[officer].full_name if officer else "Chưa phân công"}[group_by]
            c = out.setdefault(key, Counter())
            rating = session.exec(select(SatisfactionRating).where(SatisfactionRating.dossier_id == d.id)).first()
            ended_at = ensure_utc(d.returned_at) if d.status == "DA_TRA_KET_QUA" and d.returned_at else (
                finished if d.status in ("KHONG_TIEP_NHAN", "DUNG_XU_LY", "TU_CHOI_GIAI_QUYET") else None)
            if ended_at and since <= ended_at < until:
                c["ended"] += 1
                if rating:
                    c["rated"] += 1
                    c["satisfied"] += rating.level in ("rat_hai_long", "hai_long")
            if submitted >= until or (finished and finished < since):
                continue
            c["processed"] += 1
            received = submitted >= since
            c["received"] += received
            c["received_online"] += received and d.channel == "online"
            c["with_fee"] += received and d.procedure_version_id in charged
            c["paid_online"] += received and d.procedure_version_id in charged and d.paid_online
            if finished and finished < end:
                due = ensure_utc(d.due_at) if d.due_at else None
                on_time = due is None or finished <= due or to_local(finished).date() == to_local(due).date()
                c["finished_on_time" if on_time and not d.counted_late else "finished_late"] += 1
            else:
                late = d.due_at is not None and ensure_utc(d.due_at) < end
                c["in_progress_late" if late or d.counted_late else "in_progress_on_time"] += 1
            if d.status in ("DA_XU_LY_XONG", "DA_TRA_KET_QUA") and finished and since <= finished < until:
                c["with_result"] += 1
                c["e_results"] += session.exec(select(DossierDocument).where(
                    DossierDocument.dossier_code == d.code, DossierDocument.kind == "result")).first() is not None
    return {k: v for k, v in out.items() if v["processed"] or v["ended"]}


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def with_rates(c: Counter[str]) -> dict[str, Any]:
    return {**{k: c[k] for k in ("received", "received_online", "processed", "finished_on_time", "finished_late",
                                 "in_progress_on_time", "in_progress_late", "with_result", "e_results",
                                 "with_fee", "paid_online", "rated", "satisfied")},
            "online_rate": rate(c["received_online"], c["received"]),
            "on_time_rate": rate(c["finished_on_time"] + c["in_progress_on_time"], c["processed"]),
            "e_result_rate": rate(c["e_results"], c["with_result"]),
            "online_payment_rate": rate(c["paid_online"], c["with_fee"]),
            "satisfaction_rate": rate(c["satisfied"], c["rated"])}


# The workbook's columns after STT and the group's name, in order (exports.INDICATOR_HEADINGS).
SHEET_COLUMNS = ("received", "received_online", "online_rate", "processed", "finished_on_time", "finished_late",
                 "in_progress_on_time", "in_progress_late", "on_time_rate", "with_result", "e_results",
                 "e_result_rate", "with_fee", "paid_online", "online_payment_rate", "rated", "satisfied",
                 "satisfaction_rate")


def sheet_rows(content: bytes) -> tuple[list[list[Any]], list[list[Any]]]:
    """The header lines above the table and the table (headings first, the totals row last)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(values) if row[0] == "STT")
    end = next(i for i in range(start + 1, len(values)) if all(v is None for v in values[i]))
    return values[:start], values[start:end]


def pdf_text(content: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def seeded(app_client: TestClient, clock: ManualClock) -> Any:
    clock.set(local(2, 10, month=12))  # the period has ended
    db = app_client.app.state.wiring.db  # type: ignore[attr-defined]
    seed(db)
    return db


class TestIndicators:
    def test_json_per_group_equals_the_dossiers(self, app_client: TestClient, login: Login, seeded: Any,
                                                clock: ManualClock) -> None:
        for group_by in ("agency", "procedure", "department", "official"):
            response = app_client.get("/api/v1/reports/indicators", headers=login("giam_sat_tinh"),
                                      params={**PERIOD, "group_by": group_by})
            assert response.status_code == 200, response.text
            report = response.json()
            want = expected(seeded, group_by, now=clock.now())
            key = "name" if group_by == "official" else "key"
            got = {(r[key] if r[key] else "Chưa phân công"): {k: r[k] for k in with_rates(Counter())}
                   for r in report["rows"]}
            if group_by == "official":  # "Lê Thị Hương, Chuyên viên Phòng …": the full name leads
                got = {name.split(",")[0].replace("Chưa phân công chuyên viên thụ lý", "Chưa phân công"): v
                       for name, v in got.items()}
            assert got == {k: with_rates(v) for k, v in want.items()}, group_by
            total: Counter[str] = Counter()
            for c in want.values():
                total.update(c)
            assert {k: report["total"][k] for k in with_rates(Counter())} == with_rates(total)

        # The figures by name, as the seeded outcomes say.
        by_agency = {r["key"]: r for r in app_client.get(
            "/api/v1/reports/indicators", headers=login("giam_sat_tinh"), params=PERIOD).json()["rows"]}
        so = by_agency[SO]
        assert so["name"] == "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"
        assert (so["received"], so["received_online"], so["online_rate"]) == (5, 2, 40.0)
        assert (so["processed"], so["finished_on_time"], so["finished_late"], so["in_progress_on_time"],
                so["in_progress_late"], so["on_time_rate"]) == (6, 3, 1, 1, 1, 66.67)
        assert (so["with_result"], so["e_results"], so["e_result_rate"]) == (3, 2, 66.67)
        assert (so["with_fee"], so["paid_online"], so["online_payment_rate"]) == (5, 2, 40.0)
        assert (so["rated"], so["satisfied"], so["satisfaction_rate"]) == (2, 1, 50.0)
        xa = by_agency[XA1]
        assert (xa["with_fee"], xa["online_payment_rate"], xa["e_result_rate"], xa["satisfaction_rate"]) == (
            0, None, 100.0, 100.0)
        officials = {r["name"]: r for r in app_client.get(
            "/api/v1/reports/indicators", headers=login("giam_sat_tinh"),
            params={**PERIOD, "group_by": "official"}).json()["rows"]}
        huong = officials["Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"]
        assert (huong["key"], huong["processed"], huong["on_time_rate"]) == ("chuyen_vien", 3, 66.67)
        assert officials["Chưa phân công chuyên viên thụ lý"]["processed"] == 1
        assert "chuyen_vien_dl" not in {r["key"] for r in officials.values()}  # reassigned away: not counted

        # The Sở's leaders see their agency only.
        so_only = app_client.get("/api/v1/reports/indicators", headers=login("lanh_dao_so"), params=PERIOD).json()
        assert [r["key"] for r in so_only["rows"]] == [SO]
        assert so_only["scope_name"] == "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"

    def test_xlsx_figures_equal_the_database(self, app_client: TestClient, login: Login, seeded: Any,
                                             clock: ManualClock) -> None:
        for group_by in ("agency", "official"):
            response = app_client.get("/api/v1/reports/indicators.xlsx", headers=login("giam_sat_tinh"),
                                      params={**PERIOD, "group_by": group_by})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            assert "attachment" in response.headers["content-disposition"]
            header, table = sheet_rows(response.content)
            lines = [v for row in header for v in row if v]
            assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines and "Độc lập - Tự do - Hạnh phúc" in lines
            assert "UBND TỈNH TUYÊN QUANG" in lines  # the province supervisor's agency under the province
            assert "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" in lines
            assert "Tuyên Quang, ngày 02 tháng 12 năm 2026" in lines
            assert "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP (QĐ 766/QĐ-TTG)" in lines
            assert "Từ ngày 01 tháng 11 năm 2026 đến ngày 30 tháng 11 năm 2026" in lines
            headings, *body, totals = table
            assert headings[:3] == ["STT", "Cơ quan giải quyết" if group_by == "agency" else "Chuyên viên thụ lý",
                                    "Hồ sơ tiếp nhận trong kỳ"]
            assert "Tỷ lệ đúng hạn (%)" in headings and "Tỷ lệ hài lòng (%)" in headings
            want = expected(seeded, group_by, now=clock.now())
            with Session(seeded) as session:
                agency_names = {SO: "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang",
                                XA1: "Ủy ban nhân dân phường Minh Xuân"}
                names = {o.full_name for o in session.exec(select(Official)).all()}
            got = {}
            for number, row in enumerate(body, start=1):
                assert row[0] == number
                name = str(row[1])
                label = (next(k for k, v in agency_names.items() if v == name) if group_by == "agency"
                         else "Chưa phân công" if name.startswith("Chưa phân công") else name.split(",")[0])
                assert group_by == "agency" or label == "Chưa phân công" or label in names
                got[label] = dict(zip(SHEET_COLUMNS, row[2:], strict=True))
            # Every figure, rates included (an absent rate is an empty cell).
            assert got == {k: {c: with_rates(v)[c] for c in SHEET_COLUMNS} for k, v in want.items()}, group_by
            total: Counter[str] = Counter()
            for c in want.values():
                total.update(c)
            assert totals[1] == "Tổng cộng"
            assert dict(zip(SHEET_COLUMNS, totals[2:], strict=True)) == {c: with_rates(total)[c]
                                                                         for c in SHEET_COLUMNS}
            # Signatures: who drew it up by full name and title, and the head of the agency.
            sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
            after = [v for row in sheet.iter_rows(values_only=True) for v in row if v]
            assert "NGƯỜI LẬP BIỂU" in after and "THỦ TRƯỞNG CƠ QUAN" in after
            assert "Hà Thị Thanh Tâm" in after
            assert not any(v == "giam_sat_tinh" for v in after)  # never the login

    def test_pdf_has_headings_names_and_figures(self, app_client: TestClient, login: Login, seeded: Any) -> None:
        response = app_client.get("/api/v1/reports/indicators.pdf", headers=login("giam_sat_tinh"),
                                  params={**PERIOD, "group_by": "agency"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        text = pdf_text(response.content)
        for expected_text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                              "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ CHỈ SỐ",
                              "Từ ngày 01 tháng 11 năm 2026 đến ngày 30 tháng 11 năm 2026",
                              "Tỷ lệ đúng hạn (%)", "Tỷ lệ hài lòng (%)", "Cơ quan giải quyết",
                              "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang", "Tổng cộng",
                              "NGƯỜI LẬP BIỂU", "Hà Thị Thanh Tâm", "THỦ TRƯỞNG CƠ QUAN", "Tuyên Quang, ngày 02"):
            assert expected_text in text, expected_text
        # The Sở's row: received 5, online 2 (40,00 %), to process 6, on time 66,67 %, …, satisfaction 50,00 %.
        assert "5 2 40,00 6 3 1 1 1 66,67 3 2 66,67 5 2 40,00 2 1 50,00" in text
        # The totals row adds the commune's dossier.
        assert "Tổng cộng 6 3 50,00 7 4 1 1 1 71,43 4 3 75,00 5 2 40,00 3 2 66,67" in text

    def test_bad_period_names_the_field(self, app_client: TestClient, login: Login) -> None:
        for path in ("/api/v1/reports/indicators", "/api/v1/reports/indicators.xlsx",
                     "/api/v1/reports/statistics.pdf", "/api/v1/reports/register.xlsx"):
            user = "giam_sat" if "register" in path else "giam_sat_tinh"
            backwards = app_client.get(path, headers=login(user), params={"from": "2026-11-30", "to": "2026-11-01"})
            assert backwards.status_code == 422, (path, backwards.text)
            assert backwards.json()["errors"] == [{"field": "to", "message": "Đến ngày không được trước Từ ngày."}]
            too_long = app_client.get(path, headers=login(user), params={"from": "2025-01-01", "to": "2026-11-01"})
            assert too_long.status_code == 422
            assert too_long.json()["errors"][0]["field"] == "to"
            assert "tối đa 366 ngày" in too_long.json()["errors"][0]["message"]
            missing = app_client.get(path, headers=login(user), params={"to": "2026-11-01"})
            assert missing.status_code == 422
            assert missing.json()["errors"][0]["field"] == "from"
            assert missing.json()["errors"][0]["message"].startswith("Từ ngày")
            not_a_date = app_client.get(path, headers=login(user), params={"from": "30/11/2026", "to": "2026-12-01"})
            assert not_a_date.status_code == 422 and not_a_date.json()["errors"][0]["field"] == "from"
        group = app_client.get("/api/v1/reports/indicators", headers=login("giam_sat_tinh"),
                               params={**PERIOD, "group_by": "phong_ban"})
        assert group.status_code == 422
        error = group.json()["errors"][0]
        assert error["field"] == "group_by" and error["message"].startswith("Nhóm theo")
        assert "“official”" in error["message"]


class TestStatisticsAndRegisterFiles:
    def test_statistics_xlsx_and_pdf_equal_the_json(self, app_client: TestClient, login: Login,
                                                    seeded: Any) -> None:
        report = app_client.get("/api/v1/registers/statistics", headers=login("giam_sat_tinh"), params=PERIOD).json()
        response = app_client.get("/api/v1/reports/statistics.xlsx", headers=login("giam_sat_tinh"), params=PERIOD)
        assert response.status_code == 200, response.text
        header, (headings, *body, totals) = sheet_rows(response.content)
        assert "THỐNG KÊ TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH" in [v for row in header for v in row]
        assert headings[:4] == ["STT", "Cơ quan giải quyết", "Thủ tục hành chính", "Tiếp nhận trong kỳ"]
        figures = ("received", "carried_over", "finished_early", "finished_on_time", "finished_late",
                   "in_progress_on_time", "in_progress_late", "on_time_rate")
        procedures = [r for r in body if r[2] != "Cộng"]
        subtotals = [r for r in body if r[2] == "Cộng"]
        assert len(procedures) == len(report["rows"]) and len(subtotals) == len(report["agencies"])
        for row, want in zip(procedures, report["rows"], strict=True):
            assert row[3:11] == [want[f] for f in figures]
            assert row[11:] == [want["satisfaction"]["rated"], want["satisfaction"]["satisfaction_rate"]]
        for row, want in zip(subtotals, report["agencies"], strict=True):
            assert row[3:11] == [want[f] for f in figures]
        assert totals[1] == "Tổng cộng" and totals[3:11] == [report["total"][f] for f in figures]
        assert totals[3] == 6 and totals[4] == 1  # received in November; carried over from October

        pdf = app_client.get("/api/v1/reports/statistics.pdf", headers=login("giam_sat_tinh"), params=PERIOD)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.content)
        for expected_text in ("THỐNG KÊ TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH", "Phạm vi: Toàn tỉnh",
                              "Tỷ lệ đúng hạn (%)", "Thủ tục hành chính", "Tổng cộng", "Hà Thị Thanh Tâm"):
            assert expected_text in text, expected_text

    def test_register_xlsx_and_pdf(self, app_client: TestClient, login: Login, seeded: Any) -> None:
        response = app_client.get("/api/v1/reports/register.xlsx", headers=login("giam_sat"), params=PERIOD)
        assert response.status_code == 200, response.text
        header, (headings, *body) = sheet_rows(response.content)
        assert "SỔ THEO DÕI HỒ SƠ" in [v for row in header for v in row]
        assert headings == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)",
                            "Tên cá nhân, tổ chức", "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết",
                            "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả", "Ngày chuyển hồ sơ đến cơ quan giải quyết",
                            "Ngày nhận kết quả từ cơ quan giải quyết", "Ngày trả kết quả", "Ký nhận", "Ghi chú"]
        with Session(seeded) as session:
            received = session.exec(select(Dossier).where(Dossier.agency_code == SO)
                                    .order_by(Dossier.submitted_at)).all()
        november = [d for d in received if date(2026, 11, 1) <= to_local(ensure_utc(d.submitted_at)).date()]
        assert [r[1] for r in body] == [d.code for d in november]
        first = body[0]
        assert first[4] == "Người nộp số 1" and first[7] == "03/11/2026 09:00" and first[8] == "10/11/2026 17:00"
        assert first[11] == "06/11/2026 10:00"  # returned
        pdf = app_client.get("/api/v1/reports/register.pdf", headers=login("giam_sat"), params=PERIOD)
        assert pdf.status_code == 200
        text = pdf_text(pdf.content)
        assert "SỔ THEO DÕI HỒ SƠ" in text and november[0].code in text
        assert f"Tổng số: {len(november)} hồ sơ." in text


class TestAWalkedDossier:
    def test_counts_under_its_real_case_officer(self, app_client: TestClient, login: Login,
                                                clock: ManualClock) -> None:
        """A karaoke dossier walked through every step over HTTP: the engine's own work items name the case
        officer, and every figure agrees with the count made from the database."""
        created = app_client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
            "procedure_code": KARAOKE, "channel": "counter", "notify_zalo": True, "applicant": {
                "full_name": "Nguyễn Thị Hồng Nhung", "id_number": "008190012345", "phone": "0912345678"},
            "facts": {"dia_ban": "thanh_pho_thi_xa", "so_phong": 3}})
        assert created.status_code == 201, created.text
        code = created.json()["code"]
        steps = [("mot_cua", {"quyet_dinh": "tiep_nhan"}), ("lanh_dao_phong", {"case_officer": "chuyen_vien"}),
                 ("chuyen_vien", {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"}),
                 ("chuyen_vien", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện cấp phép"}),
                 ("lanh_dao_phong", {"quyet_dinh": "trinh_ky", "y_kien": "Đồng ý trình ký"}),
                 ("lanh_dao_so", {"quyet_dinh": "ky", "y_kien": "Đồng ý"}),
                 ("van_thu", {"so_van_ban": "125/GP-SVHTTDL", "ngay_ban_hanh": "2026-11-27"}),
                 ("mot_cua", {"hinh_thuc_tra": "truc_tiep"})]
        for user, data in steps:
            clock.advance(timedelta(hours=2))
            tasks = app_client.get("/api/v1/tasks", params={"scope": "all"}, headers=login(user)).json()["items"]
            [task] = [t for t in tasks if t["dossier_code"] == code]
            done = app_client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=login(user))
            assert done.status_code == 200, done.text
        first, day = created.json()["submitted_at"][:10], to_local(clock.now()).date().isoformat()
        period = {"from": first, "to": day}
        report = app_client.get("/api/v1/reports/indicators", headers=login("giam_sat"),
                                params={**period, "group_by": "official"})
        assert report.status_code == 200, report.text
        [row] = report.json()["rows"]
        assert row["key"] == "chuyen_vien"
        assert row["name"] == "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"
        assert (row["received"], row["processed"], row["finished_on_time"], row["with_result"],
                row["with_fee"]) == (1, 1, 1, 1, 1)
        db = app_client.app.state.wiring.db  # type: ignore[attr-defined]
        since = datetime.fromisoformat(first).replace(tzinfo=VN_TZ)
        until = datetime.fromisoformat(day).replace(tzinfo=VN_TZ) + timedelta(days=1)
        want = expected(db, "official", now=clock.now(), since=since, until=until)
        assert {"Lê Thị Hương": {k: row[k] for k in with_rates(Counter())}} == {
            k: with_rates(v) for k, v in want.items()}


class TestOneAggregate:
    @pytest.mark.parametrize("group_by", ["agency", "official"])
    def test_the_dossiers_are_counted_in_the_database(self, app_client: TestClient, seeded: Any,
                                                      group_by: str) -> None:
        """The indicators are one aggregate over the dossiers (the ratings add their two queries), whatever
        the grouping, the case officer's included: no dossier is loaded."""
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        with Session(wiring.db) as session:
            official = session.exec(select(Official).where(Official.username == "giam_sat_tinh")).one()
            actor = actor_of_official(session, official=official)
            sa.event.listen(wiring.db, "before_cursor_execute", seen)
            try:
                report = indicators.report(session, actor=actor, services=wiring.domain, start=date(2026, 11, 1),
                                           end=date(2026, 11, 30), group_by=indicators.GroupBy(group_by))
            finally:
                sa.event.remove(wiring.db, "before_cursor_execute", seen)
        assert report.total.processed == 7
        reading = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "dossier." in s]
        assert len([s for s in reading if "sum(CASE" in s]) == 1, reading
        assert len(reading) == 3, reading  # the aggregate, the ended dossiers counted, the ratings read
        assert not any("dossier.applicant_name" in s for s in reading)
