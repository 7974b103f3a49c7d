"""Statistics for supervisors, by the national QĐ 766/QĐ-TTg formula (DOMAIN.md §2.4): a dossier counts
on time when processing ended ("Đã xử lý xong", or a stop/refusal) by its appointment; time spent on a
supplement is already added back to the appointment by the clock rules; more than one supplement request
counts late; dossiers still in progress are judged at the end of the period. Each row also carries the
satisfaction indicator: citizens' ratings of the dossiers that ended in the period (workflows/ratings/)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from sqlmodel import Session, col, or_, select

from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import VN_TZ
from workflows.core.errors import ValidationFailed
from workflows.deadlines import service as deadlines
from workflows.dossiers.models import Dossier
from workflows.identity.actor import Actor
from workflows.ratings import queries as ratings_queries
from workflows.ratings.schemas import Satisfaction

MAX_DAYS = 366


class Row(BaseModel):
    procedure_code: str
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
    rows: list[Row]
    total: Row


def _classify(dossier: Dossier, *, end: datetime, services: DomainServices, session: Session) -> str:
    finished = dossier.finished_at if dossier.finished_at and dossier.finished_at < end else None
    if dossier.due_at is None:  # refused or stopped at the desk before the clock started
        return "finished_on_time" if finished else "in_progress_on_time"
    calendar = deadlines.working_calendar(session, calendars=services.calendars, at=end)
    state = deadlines.lateness(calendar, now=end, due_at=dossier.due_at, finished_at=finished,
                               counted_late=dossier.counted_late)
    if finished:
        return {"truoc_han": "finished_early", "dung_han": "finished_on_time"}.get(state, "finished_late")
    return "in_progress_late" if state == "qua_han" or dossier.counted_late else "in_progress_on_time"


def report(session: Session, *, actor: Actor, services: DomainServices, start: date, end: date) -> Report:
    """The department's table for `start`–`end` (local dates, inclusive), per procedure and in total."""
    if end < start or (end - start).days > MAX_DAYS:
        raise ValidationFailed(errors=[{"field": "to", "message": "Khoảng thời gian không hợp lệ (tối đa 1 năm)."}])
    since = datetime.combine(start, time.min, VN_TZ)
    until = datetime.combine(end + timedelta(days=1), time.min, VN_TZ)
    dossiers = session.exec(select(Dossier).where(
        Dossier.department_id == actor.department_id, col(Dossier.submitted_at) < until,
        or_(col(Dossier.finished_at).is_(None), col(Dossier.finished_at) >= since))).all()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for dossier in dossiers:
        bucket = counts[dossier.procedure_code]
        bucket["received" if dossier.submitted_at >= since else "carried_over"] += 1
        bucket[_classify(dossier, end=min(until, services.clock.now()), services=services, session=session)] += 1
    ratings = ratings_queries.counts(session, department_id=actor.department_id, since=since, until=until)
    rows = [_row(code, counts[code], ratings.get(code, Counter())) for code in sorted({*counts, *ratings})]
    audit.record(session, actor=actor.username, action="statistics.report", at=services.clock.now(),
                 data={"from": start.isoformat(), "to": end.isoformat()})
    total = _row("*", sum(counts.values(), Counter()), sum(ratings.values(), Counter()))
    return Report(period_from=start, period_to=end, rows=rows, total=total)


def _row(code: str, c: Counter[str], rated: Counter[str]) -> Row:
    on_time = c["finished_early"] + c["finished_on_time"] + c["in_progress_on_time"]
    total = on_time + c["finished_late"] + c["in_progress_late"]
    return Row(procedure_code=code, received=c["received"], carried_over=c["carried_over"],
               finished_early=c["finished_early"], finished_on_time=c["finished_on_time"],
               finished_late=c["finished_late"], in_progress_on_time=c["in_progress_on_time"],
               in_progress_late=c["in_progress_late"],
               on_time_rate=round(100 * on_time / total, 2) if total else None,
               satisfaction=ratings_queries.indicator(rated))
