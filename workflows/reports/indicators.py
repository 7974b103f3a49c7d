"""The QĐ 766/QĐ-TTg indicators of a period per competent agency, procedure, handling department or case
officer (issue 23 item 4), for the province's reports. Each indicator is a count and the count it is a share
of, both from the database, so that a printed figure can be checked against the dossiers behind it:

- **on time** (F766 2.1, as `workflows/statistics.py` counts it): dossiers received or carried over in the
  period that finished by their appointment, or are still within it at the end of the period, ÷ all of them;
  finished early or on the appointment day and finished late are shown apart;
- **online share** (F766 3.3): dossiers received in the period through the online channel ÷ received;
- **e-results** (F766 4.1): dossiers that got their result in the period ("Đã xử lý xong", then returned)
  with the signed result stored as an electronic document ÷ dossiers that got their result;
- **online payment** (F766 3.6): dossiers received in the period of a procedure that charges a fee whose fee
  was paid online ÷ those dossiers;
- **satisfaction**: ratings of the dossiers that ended in the period (`workflows/ratings/queries.py`),
  (rất hài lòng + hài lòng) ÷ rated.

The per-case-officer figures count each dossier under the official who handled its appraisal (the last
case officer's step, CHUYEN_VIEN lane, by who completed it, else its assignee); dossiers that never reached
one (refused at the desk, waiting for assignment) count under "Chưa phân công chuyên viên thụ lý". The
counting is one aggregate query and two for the ratings, whatever the number of dossiers."""

from __future__ import annotations

from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from engine.models import WorkItem
from workflows import audit, statistics
from workflows.collaborators import DomainServices
from workflows.documents.models import DocumentKind, DossierDocument
from workflows.dossiers import forms
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import SubStatus
from workflows.identity.actor import Actor
from workflows.identity.models import Department, Official, Role
from workflows.identity.naming import official_label
from workflows.procedures.models import ProcedureVersion
from workflows.ratings import queries as ratings_queries

ALL = statistics.ALL
UNASSIGNED = "Chưa phân công chuyên viên thụ lý"
WITH_RESULT = (SubStatus.DA_XU_LY_XONG.value, SubStatus.DA_TRA_KET_QUA.value)
COUNTS = ("received", "received_online", "processed", "finished_on_time", "finished_late",
          "in_progress_on_time", "in_progress_late", "with_result", "e_results", "with_fee", "paid_online")


class GroupBy(StrEnum):
    AGENCY = "agency"
    PROCEDURE = "procedure"
    DEPARTMENT = "department"
    OFFICIAL = "official"


GROUP_TITLES: dict[GroupBy, str] = {
    GroupBy.AGENCY: "Cơ quan giải quyết", GroupBy.PROCEDURE: "Thủ tục hành chính",
    GroupBy.DEPARTMENT: "Phòng chuyên môn", GroupBy.OFFICIAL: "Chuyên viên thụ lý",
}


class IndicatorRow(BaseModel):
    key: str = Field(description="Mã cơ quan, mã thủ tục, mã phòng hoặc tên đăng nhập của chuyên viên; "
                                 "\"*\" ở dòng tổng; \"\" cho hồ sơ chưa phân công")
    name: str = Field(description="Tên như người đọc: cơ quan, thủ tục, phòng (kèm cơ quan), họ tên và chức danh")
    received: int = Field(description="Hồ sơ tiếp nhận trong kỳ")
    received_online: int = Field(description="Trong đó nộp trực tuyến")
    online_rate: float | None = Field(description="Tỷ lệ hồ sơ trực tuyến (%)")
    processed: int = Field(description="Hồ sơ cần xử lý: tiếp nhận trong kỳ và kỳ trước chuyển sang")
    finished_on_time: int = Field(description="Đã giải quyết trước hạn, đúng hạn")
    finished_late: int = Field(description="Đã giải quyết quá hạn")
    in_progress_on_time: int = Field(description="Đang giải quyết trong hạn")
    in_progress_late: int = Field(description="Đang giải quyết quá hạn")
    on_time_rate: float | None = Field(description="Tỷ lệ đúng hạn theo QĐ 766 (%)")
    with_result: int = Field(description="Hồ sơ có kết quả trong kỳ")
    e_results: int = Field(description="Trong đó có kết quả điện tử")
    e_result_rate: float | None = Field(description="Tỷ lệ kết quả điện tử (%)")
    with_fee: int = Field(description="Hồ sơ tiếp nhận trong kỳ có phí, lệ phí")
    paid_online: int = Field(description="Trong đó thanh toán trực tuyến")
    online_payment_rate: float | None = Field(description="Tỷ lệ thanh toán trực tuyến (%)")
    ended: int = Field(description="Hồ sơ kết thúc trong kỳ (được đánh giá)")
    rated: int = Field(description="Số lượt đánh giá")
    satisfied: int = Field(description="Rất hài lòng và hài lòng")
    satisfaction_rate: float | None = Field(description="Tỷ lệ hài lòng (%)")


class IndicatorReport(BaseModel):
    period_from: date
    period_to: date
    group_by: GroupBy
    scope_name: str = Field(description="Phạm vi báo cáo: toàn tỉnh, một cơ quan hoặc một phòng")
    rows: list[IndicatorRow]
    total: IndicatorRow


def case_officer() -> Any:
    """SQL: the username of the dossier's case officer (the last CHUYEN_VIEN step, by who completed it, else
    its assignee); NULL when it never reached one."""
    return (select(sa.func.coalesce(WorkItem.completed_by, WorkItem.assignee))
            .where(col(WorkItem.business_key) == col(Dossier.code), col(WorkItem.lane) == Role.CHUYEN_VIEN.value)
            .order_by(col(WorkItem.created_at).desc(), col(WorkItem.id).desc()).limit(1)
            .correlate(Dossier).scalar_subquery())


def _key(group_by: GroupBy) -> Any:
    return {GroupBy.AGENCY: col(Dossier.agency_code), GroupBy.PROCEDURE: col(Dossier.procedure_code),
            GroupBy.DEPARTMENT: col(Dossier.department_id), GroupBy.OFFICIAL: case_officer()}[group_by]


def report(session: Session, *, actor: Actor, services: DomainServices, start: date, end: date,
           group_by: GroupBy) -> IndicatorReport:
    """The indicators for `start`–`end` (Vietnam-local dates, inclusive) of what the actor's statistics cover
    (`statistics.scope_of`), one row per `group_by` value, sorted by name, and the total. Audited."""
    since, until = statistics.bounds(start=start, end=end)
    where, covered = statistics.scope_of(actor)
    now = services.clock.now()
    counts = _counts(session, where=where, key=_key(group_by), since=since, until=until, end=min(until, now))
    ratings = {key[0]: c for key, c in ratings_queries.counts(
        session, where=where, since=since, until=until, group=[_key(group_by).label("k")]).items()}
    names = _names(session, group_by, {*counts, *ratings}, services)
    rows = sorted((_row(*names.get(k, (_text(k), _text(k))), counts.get(k, Counter()), ratings.get(k, Counter()))
                   for k in {*counts, *ratings}), key=lambda r: (r.key == "", r.name.lower(), r.key))
    total_counts: Counter[str] = Counter()
    total_ratings: Counter[str] = Counter()
    for c in counts.values():
        total_counts.update(c)
    for c in ratings.values():
        total_ratings.update(c)
    audit.record(session, actor=actor.username, action="reports.indicators", at=now,
                 data={"from": start.isoformat(), "to": end.isoformat(), "scope": covered, "group_by": group_by})
    return IndicatorReport(period_from=start, period_to=end, group_by=group_by,
                           scope_name=scope_name(session, actor=actor, services=services), rows=rows,
                           total=_row(ALL, "Tổng cộng", total_counts, total_ratings))


def scope_name(session: Session, *, actor: Actor, services: DomainServices) -> str:
    """What the report covers, as printed under its title."""
    _, covered = statistics.scope_of(actor)
    if covered == "tinh":
        return "Toàn tỉnh"
    if covered.startswith("co_quan:"):
        return forms.agency_name(session, code=actor.agency_code or "", services=services)
    department = session.get(Department, actor.department_id) if actor.department_id else None
    agency = forms.agency_name(session, code=department.agency_code, services=services) if department else ""
    return ", ".join(part for part in (department.name if department else "", agency) if part)


def _counts(session: Session, *, where: Any, key: Any, since: Any, until: Any, end: Any) -> dict[Any, Counter[str]]:
    state = statistics.classification(end=end)
    received = col(Dossier.submitted_at) >= since
    with_result = sa.and_(col(Dossier.status).in_(WITH_RESULT), col(Dossier.finished_at) >= since,
                          col(Dossier.finished_at) < until)
    e_result = sa.exists().where(col(DossierDocument.dossier_code) == col(Dossier.code),
                                 col(DossierDocument.kind) == DocumentKind.RESULT.value)
    charged = _charged_versions(session)
    with_fee = sa.and_(received, col(Dossier.procedure_version_id).in_(charged)) if charged else sa.false()
    total = statistics.total
    columns = [
        total(received), total(sa.and_(received, col(Dossier.channel) == "online")), sa.func.count(),
        total(state.in_(("finished_early", "finished_on_time"))), total(state == "finished_late"),
        total(state == "in_progress_on_time"), total(state == "in_progress_late"),
        total(with_result), total(sa.and_(with_result, e_result)),
        total(with_fee), total(sa.and_(with_fee, col(Dossier.paid_online))),
    ]
    grouped = key.label("k")
    rows = session.exec(select(grouped, *columns)
                        .where(where, statistics.in_period(since=since, until=until))
                        .group_by(grouped)).all()
    return {k: Counter({name: int(v or 0) for name, v in zip(COUNTS, values, strict=True)}) for k, *values in rows}


def _charged_versions(session: Session) -> list[int]:
    """The procedure versions that charge a fee (their fee table is not empty): a handful of rows."""
    return [v.id for v in session.exec(select(ProcedureVersion)).all() if v.fees and v.id is not None]


def _text(key: Any) -> str:
    return "" if key is None else str(key)


def _names(session: Session, group_by: GroupBy, keys: set[Any],
           services: DomainServices) -> dict[Any, tuple[str, str]]:
    """The key as printed and what people read for each grouped value: the agency's code and name, the
    procedure's code and name, the department's code and "Phòng …, Sở …", the official's login and "Họ tên,
    chức danh"."""
    present = {k for k in keys if k is not None}
    if group_by is GroupBy.AGENCY:
        return {k: (k, forms.agency_name(session, code=k, services=services)) for k in present}
    if group_by is GroupBy.PROCEDURE:
        versions = session.exec(select(ProcedureVersion).where(col(ProcedureVersion.code).in_(present))
                                .order_by(col(ProcedureVersion.version))).all()
        return {v.code: (v.code, v.name) for v in versions}  # the newest version's name
    if group_by is GroupBy.DEPARTMENT:
        departments = session.exec(select(Department).where(col(Department.id).in_(present))).all()
        return {d.id: (d.code, f"{d.name}, {forms.agency_name(session, code=d.agency_code, services=services)}")
                for d in departments}
    officials = session.exec(select(Official, Department).join(Department, col(Department.id) ==
                                                               col(Official.department_id))
                             .where(col(Official.username).in_(present))).all()
    names: dict[Any, tuple[str, str]] = {o.username: (o.username, official_label(o, d)) for o, d in officials}
    names[None] = ("", UNASSIGNED)
    return names


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _row(key: str, name: str, c: Counter[str], rated: Counter[str]) -> IndicatorRow:
    satisfaction = ratings_queries.indicator(rated)
    satisfied = satisfaction.very_satisfied + satisfaction.satisfied
    on_time = c["finished_on_time"] + c["in_progress_on_time"]
    return IndicatorRow(
        key=key, name=name, received=c["received"], received_online=c["received_online"],
        online_rate=_rate(c["received_online"], c["received"]), processed=c["processed"],
        finished_on_time=c["finished_on_time"], finished_late=c["finished_late"],
        in_progress_on_time=c["in_progress_on_time"], in_progress_late=c["in_progress_late"],
        on_time_rate=_rate(on_time, c["processed"]), with_result=c["with_result"], e_results=c["e_results"],
        e_result_rate=_rate(c["e_results"], c["with_result"]), with_fee=c["with_fee"],
        paid_online=c["paid_online"], online_payment_rate=_rate(c["paid_online"], c["with_fee"]),
        ended=satisfaction.ended, rated=satisfaction.rated, satisfied=satisfied,
        satisfaction_rate=satisfaction.satisfaction_rate)
