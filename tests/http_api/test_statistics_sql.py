"""Issue 20 item 5 on both databases: the QĐ 766 report is one SQL aggregate, per competent agency and
procedure, rolled up per agency and for the province. Dossiers covering every case are written directly;
the report must equal the per-dossier classification the report used before (the oracle, below, built on
`deadlines.lateness`), totals must be the sums of their rows, and the dossiers are counted in one query."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from flows import Login
from sqlmodel import Session, select

from workflows import statistics
from workflows.core.clock import VN_TZ, ManualClock, ensure_utc
from workflows.core.db import session_scope
from workflows.deadlines import service as deadlines
from workflows.dossiers.models import Dossier
from workflows.identity.models import Department, Official
from workflows.identity.service import actor_of_official
from workflows.procedures.models import ProcedureVersion

PERIOD = (date(2026, 11, 1), date(2026, 11, 30))


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


# (agency, procedure, submitted, due, finished, counted_late): every branch of the classification.
CASES: list[tuple[str, str, datetime, datetime | None, datetime | None, bool]] = [
    ("H60.22", "VHTTDL-KARAOKE", local(3, 9), local(10, 17), local(6, 10), False),  # early
    ("H60.22", "VHTTDL-KARAOKE", local(3, 9), local(10, 17), local(10, 8), False),  # on the due day
    ("H60.22", "VHTTDL-KARAOKE", local(3, 9), local(10, 17), local(11, 9), False),  # late
    ("H60.22", "VHTTDL-KARAOKE", local(3, 9), local(10, 17), local(6, 9), True),  # early but counted late
    ("H60.22", "VHTTDL-VU-TRUONG", local(4, 9), None, local(4, 10), False),  # refused at the desk
    ("H60.22", "VHTTDL-VU-TRUONG", local(4, 9), None, None, False),  # not yet received
    ("H60.22", "VHTTDL-VU-TRUONG", local(5, 9), local(12, 17), None, False),  # in progress, late by now
    ("H60.22", "VHTTDL-VU-TRUONG", local(25, 9), local(12, 17, month=12), None, False),  # in progress, on time
    ("H60.22", "VHTTDL-VU-TRUONG", local(25, 9), local(12, 17, month=12), None, True),  # counted late
    ("H60.22", "VHTTDL-KARAOKE", local(20, 9, month=10), local(5, 23, 59), local(5, 23, 30), False),  # carried
    # Due at 23:59 local, finished 23:30 local: the next UTC day, still the due day in Vietnam: on time.
    ("H60.71", "VHTTDL-LE-HOI-CAP-XA", local(8, 9), local(14, 23, 59), local(14, 23, 30), False),
    # Due at 17:00 local, finished at 00:30 local the day after (the same UTC day as the due time): late.
    ("H60.71", "VHTTDL-LE-HOI-CAP-XA", local(8, 9), local(14, 17), local(15, 0, 30), False),
    ("H60.72", "VHTTDL-LE-HOI-CAP-XA", local(9, 9), local(16, 17), local(16, 7), False),
    # Outside the period: finished before it began, and submitted after it ended.
    ("H60.22", "VHTTDL-KARAOKE", local(1, 9, month=10), local(8, 17, month=10), local(7, 9, month=10), False),
    ("H60.22", "VHTTDL-KARAOKE", local(2, 9, month=12), local(9, 17, month=12), None, False),
]


def write_cases(db: Any) -> None:
    with session_scope(db) as session:
        departments = {d.agency_code: d for d in session.exec(select(Department)).all()
                       if d.unit_key in ("QLVH", "VHXH")}
        versions = {p.code: p for p in session.exec(select(ProcedureVersion)).all()}
        for n, (agency, procedure, submitted, due, finished, counted_late) in enumerate(CASES, start=1):
            department = departments[agency]
            session.add(Dossier(
                code=f"{agency}-261101-{9000 + n}", agency_code=agency, department_id=department.id or 0,
                received_agency_code=agency, received_department_id=department.id or 0, current_agency_code=agency,
                procedure_version_id=versions[procedure].id or 0, procedure_code=procedure, process_key="x",
                channel="counter", status="DA_TRA_KET_QUA" if finished else "DANG_XU_LY", national_status=4,
                applicant_name="Nguyễn Văn An", applicant_name_search="nguyen van an", submitted_at=submitted,
                accepted_at=submitted if due else None, due_at=due, finished_at=finished, returned_at=finished,
                counted_late=counted_late, created_by="test", created_at=submitted, updated_at=submitted))


def oracle(session: Session, *, end: datetime, since: datetime, until: datetime) -> dict[tuple[str, str], Counter[str]]:
    """The classification of each dossier as the report did it before (one calendar per dossier)."""
    out: dict[tuple[str, str], Counter[str]] = {}
    for d in session.exec(select(Dossier)).all():
        submitted = ensure_utc(d.submitted_at)
        finished_at = ensure_utc(d.finished_at) if d.finished_at else None
        if submitted >= until or (finished_at is not None and finished_at < since):
            continue
        bucket = out.setdefault((d.agency_code, d.procedure_code), Counter())
        bucket["received" if submitted >= since else "carried_over"] += 1
        finished = finished_at if finished_at and finished_at < end else None
        if d.due_at is None:
            bucket["finished_on_time" if finished else "in_progress_on_time"] += 1
            continue
        state = deadlines.lateness(None, now=end, due_at=ensure_utc(d.due_at), finished_at=finished,  # type: ignore[arg-type]
                                   counted_late=d.counted_late) if finished else (
            "qua_han" if end > ensure_utc(d.due_at) else "trong_han")
        if finished:
            bucket[{"truoc_han": "finished_early", "dung_han": "finished_on_time"}.get(state, "finished_late")] += 1
        else:
            bucket["in_progress_late" if state == "qua_han" or d.counted_late else "in_progress_on_time"] += 1
    return out


class TestOneQueryPerReport:
    def test_equals_the_per_dossier_classification(self, app_client: TestClient, login: Login,
                                                   clock: ManualClock) -> None:
        clock.set(local(20, 10))  # inside the period: open dossiers are judged now
        db = app_client.app.state.wiring.db  # type: ignore[attr-defined]
        write_cases(db)
        response = app_client.get("/api/v1/registers/statistics", headers=login("giam_sat_tinh"),
                                  params={"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()})
        assert response.status_code == 200, response.text
        report = response.json()
        since = datetime(2026, 11, 1, tzinfo=VN_TZ)
        until = datetime(2026, 12, 1, tzinfo=VN_TZ)
        with Session(db) as session:
            expected = oracle(session, end=min(until, clock.now()), since=since, until=until)
        got = {(r["agency_code"], r["procedure_code"]): Counter({b: r[b] for b in statistics.BUCKETS if r[b]})
               for r in report["rows"]}
        assert got == {k: +v for k, v in expected.items()}
        # The edge cases by name: the 23:30 finish on the due day, the 00:30 finish the day after.
        commune = got[("H60.71", "VHTTDL-LE-HOI-CAP-XA")]
        assert (commune["finished_on_time"], commune["finished_late"]) == (1, 1)
        # Totals: each agency's is the sum of its rows; the province's the sum of the agencies'.
        for agency in report["agencies"]:
            rows = [r for r in report["rows"] if r["agency_code"] == agency["agency_code"]]
            for bucket in statistics.BUCKETS:
                assert agency[bucket] == sum(r[bucket] for r in rows), (agency["agency_code"], bucket)
        for bucket in statistics.BUCKETS:
            assert report["total"][bucket] == sum(a[bucket] for a in report["agencies"]), bucket
        assert [a["agency_code"] for a in report["agencies"]] == ["H60.22", "H60.71", "H60.72"]
        assert report["total"]["received"] + report["total"]["carried_over"] == 13

        # An agency's leaders see their agency only; a commune's division head, their division.
        so = app_client.get("/api/v1/registers/statistics", headers=login("lanh_dao_so"),
                            params={"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}).json()
        assert [a["agency_code"] for a in so["agencies"]] == ["H60.22"]
        assert so["agencies"][0] == next(a for a in report["agencies"] if a["agency_code"] == "H60.22")
        xa = app_client.get("/api/v1/registers/statistics", headers=login("lanh_dao_phong_xa2"),
                            params={"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}).json()
        assert [a["agency_code"] for a in xa["agencies"]] == ["H60.72"]
        one = app_client.get("/api/v1/registers/statistics", headers=login("giam_sat_tinh"), params={
            "from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat(), "agency": "H60.71"}).json()
        assert one["total"]["finished_on_time"] + one["total"]["finished_late"] == 2

    def test_one_query_counts_the_dossiers(self, app_client: TestClient, clock: ManualClock) -> None:
        clock.set(local(20, 10))
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        write_cases(wiring.db)
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        with Session(wiring.db) as session:
            official = session.exec(select(Official).where(Official.username == "giam_sat_tinh")).one()
            actor = actor_of_official(session, official=official)
            sa.event.listen(wiring.db, "before_cursor_execute", seen)
            try:
                statistics.report(session, actor=actor, services=wiring.domain, start=PERIOD[0], end=PERIOD[1])
            finally:
                sa.event.remove(wiring.db, "before_cursor_execute", seen)
        reading = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "dossier." in s]
        # The buckets in one aggregate; the ratings add the ended dossiers counted and the ratings read.
        assert len([s for s in reading if "sum(CASE" in s]) == 1, reading
        assert len(reading) <= 3, reading
        assert not any("dossier.applicant_name" in s for s in reading)  # no dossier is loaded whole
