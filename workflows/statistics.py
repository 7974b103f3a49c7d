"""Statistics for supervisors, by the national QĐ 766/QĐ-TTg formula (DOMAIN.md §2.4): a dossier counts
on time when processing ended ("Đã xử lý xong", or a stop/refusal) by its appointment; time spent on a
supplement is already added back to the appointment by the clock rules; more than one supplement request
counts late; dossiers still in progress are judged at the end of the period. Each row also carries the
satisfaction indicator: citizens' ratings of the dossiers that ended in the period (workflows/ratings/).

Per agency (issue 20): rows per competent agency and procedure, a total per agency and one for all. The
counting is one SQL aggregate (`_counts`), so a report costs the same at a million dossiers as at a hundred;
finished "on the appointment day" compares Vietnam-local days (UTC+7, no daylight saving) in the database."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, or_, select

from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import VN_TZ
from workflows.core.errors import ValidationFailed
from workflows.dossiers import access
from workflows.dossiers.models import Dossier
from workflows.identity.actor import Actor
from workflows.identity.models import Role
from workflows.ratings import queries as ratings_queries
from workflows.ratings.schemas import Satisfaction

MAX_DAYS = 366
ALL = "*"
BUCKETS = ("received", "carried_over", "finished_early", "finished_on_time", "finished_late",
           "in_progress_on_time", "in_progress_late")


class Row(BaseModel):
    agency_code: str  # the competent agency; "*" in the overall total
    procedure_code: str  # "*" in an agency's total and the overall one
    received: int
    carried_over: int
    finished_early: int
    finished_on_time: int
    finished_late: int
    in_progress_on_time: int
    in_progress_late: int
    on_time_rate: float | None  # 0–100, None when nothing was to be processed
    satisfaction: Satisfaction  # the QĐ 766 satisfaction indicator of dossiers ended in the period


class Report(BaseModel):
    period_from: date
    period_to: date
    rows: list[Row]  # per agency and procedure
    agencies: list[Row]  # per agency, every procedure
    total: Row  # everything the report covers


class local_date(FunctionElement[Any]):  # noqa: N801 (an SQL function, named as SQL names them)
    """The Vietnam-local calendar day of an aware UTC timestamp column, in SQL."""

    type = sa.Date()
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_pg(element: local_date, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS DATE)"


@compiles(local_date)
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    # SQLite keeps the UTC time as text; Vietnam is UTC+7 all year.
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


def bounds(*, start: date, end: date) -> tuple[datetime, datetime]:
    """[since, until) of the Vietnam-local days `start`–`end` (inclusive); ValidationFailed naming `to` when
    the period ends before it starts or runs longer than MAX_DAYS."""
    if end < start:
        raise ValidationFailed(errors=[{"field": "to", "message": "Đến ngày không được trước Từ ngày."}])
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed(errors=[{"field": "to",
                                        "message": f"Khoảng thời gian không hợp lệ (tối đa {MAX_DAYS} ngày)."}])
    return (datetime.combine(start, time.min, VN_TZ), datetime.combine(end + timedelta(days=1), time.min, VN_TZ))


def scope_of(actor: Actor) -> tuple[Any, str]:
    """What an official's report covers, and its name in the audit trail: the province's supervisors every
    agency; an agency's leaders and supervisors what their agency resolves; a division head their division."""
    if actor.has_role(*access.PROVINCE_ROLES):
        return sa.true(), "tinh"
    if actor.has_role(Role.GIAM_SAT, Role.LANH_DAO_SO) and actor.agency_code:
        return col(Dossier.agency_code) == actor.agency_code, f"co_quan:{actor.agency_code}"
    return col(Dossier.department_id) == actor.department_id, f"phong:{actor.department_id}"


def classification(*, end: datetime) -> Any:
    """The QĐ 766 state of a dossier judged at `end`, as an SQL CASE giving one of `BUCKETS[2:]`: finished
    (before `end`) early, on the appointment day or late, else in progress on time or late."""
    finished = sa.and_(col(Dossier.finished_at).is_not(None), col(Dossier.finished_at) < end)
    late = sa.or_(col(Dossier.counted_late), col(Dossier.finished_at) > col(Dossier.due_at))
    same_day = local_date(col(Dossier.finished_at)) == local_date(col(Dossier.due_at))
    no_due = col(Dossier.due_at).is_(None)
    return sa.case(
        (sa.and_(no_due, finished), "finished_on_time"),
        (no_due, "in_progress_on_time"),
        (sa.and_(finished, late), "finished_late"),
        (sa.and_(finished, same_day), "finished_on_time"),
        (finished, "finished_early"),
        (sa.or_(col(Dossier.due_at) < end, col(Dossier.counted_late)), "in_progress_late"),
        else_="in_progress_on_time",
    )


def in_period(*, since: datetime, until: datetime) -> Any:
    """The dossiers a report for [since, until) covers: submitted before its end and not finished before
    its start (received in it, or carried over into it)."""
    return sa.and_(col(Dossier.submitted_at) < until,
                   or_(col(Dossier.finished_at).is_(None), col(Dossier.finished_at) >= since))


def total(condition: Any) -> Any:
    """SQL: how many rows of the group meet `condition`."""
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _counts(session: Session, *, where: Any, since: datetime, until: datetime,
            end: datetime) -> dict[tuple[str, str], Counter[str]]:
    """Every bucket per (agency, procedure) in one aggregate query."""
    state = classification(end=end)
    received = col(Dossier.submitted_at) >= since
    columns = [total(received), total(sa.not_(received))] + [total(state == bucket) for bucket in BUCKETS[2:]]
    rows = session.exec(
        select(Dossier.agency_code, Dossier.procedure_code, *columns)
        .where(where, in_period(since=since, until=until))
        .group_by(Dossier.agency_code, Dossier.procedure_code)).all()
    return {(agency, procedure): Counter({b: int(v or 0) for b, v in zip(BUCKETS, values, strict=True)})
            for agency, procedure, *values in rows}


def report(session: Session, *, actor: Actor, services: DomainServices, start: date, end: date,
           agency_code: str | None = None) -> Report:
    """The table for `start`–`end` (local dates, inclusive) of what the actor's report covers (`scope_of`),
    narrowed to one competent agency with `agency_code`; per agency and procedure, per agency, in total."""
    since, until = bounds(start=start, end=end)
    where, covered = scope_of(actor)
    if agency_code:
        where = sa.and_(where, col(Dossier.agency_code) == agency_code)
    counts = _counts(session, where=where, since=since, until=until, end=min(until, services.clock.now()))
    ratings = ratings_queries.counts(session, where=where, since=since, until=until)
    keys = sorted({*counts, *ratings})
    rows = [_row(a, p, counts.get((a, p), Counter()), ratings.get((a, p), Counter())) for a, p in keys]
    agencies = [_row(a, ALL, _sum(counts, a), _sum(ratings, a)) for a in sorted({a for a, _ in keys})]
    audit.record(session, actor=actor.username, action="statistics.report", at=services.clock.now(),
                 data={"from": start.isoformat(), "to": end.isoformat(), "scope": covered,
                       "agency": agency_code})
    return Report(period_from=start, period_to=end, rows=rows, agencies=agencies,
                  total=_row(ALL, ALL, _sum(counts, None), _sum(ratings, None)))


def _sum(table: dict[tuple[str, str], Counter[str]], agency: str | None) -> Counter[str]:
    out: Counter[str] = Counter()
    for (code, _), counter in table.items():
        if agency is None or code == agency:
            out.update(counter)
    return out


def _row(agency: str, code: str, c: Counter[str], rated: Counter[str]) -> Row:
    on_time = c["finished_early"] + c["finished_on_time"] + c["in_progress_on_time"]
    total = on_time + c["finished_late"] + c["in_progress_late"]
    return Row(agency_code=agency, procedure_code=code, received=c["received"], carried_over=c["carried_over"],
               finished_early=c["finished_early"], finished_on_time=c["finished_on_time"],
               finished_late=c["finished_late"], in_progress_on_time=c["in_progress_on_time"],
               in_progress_late=c["in_progress_late"],
               on_time_rate=round(100 * on_time / total, 2) if total else None,
               satisfaction=ratings_queries.indicator(rated))
