"""The business seen by Prometheus: gauges counted when it scrapes, with cheap aggregate queries (GROUP BY on
indexed columns) and bounded labels — statuses, lateness classes, department codes, roles, process keys,
channels — never a dossier code, a name or a number of a person.

`motcua_dossiers{status,lateness}`, `motcua_tasks_open{department,lane}`, `motcua_tasks_overdue{...}`,
`motcua_incidents_open{process}`, `motcua_outbox_channel_messages{channel,state}` and the national portal's
sync (`motcua_dvcqg_sync_messages{state}`, `motcua_dvcqg_last_success_timestamp_seconds`,
`motcua_dvcqg_adapter_error`). docs/OPERATIONS.md "Metrics and alerts" lists them with the alerts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from connectors.dvcqg import AdapterState
from connectors.outbox import OutboxMessage
from engine.models import Incident, ProcessInstance, WorkItem
from workflows.core.clock import Clock
from workflows.dossiers import national_sync
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import TERMINAL, SubStatus
from workflows.identity.models import Department
from workflows.notifications.queries import STATE_OF

log = logging.getLogger(__name__)

# Lateness without a calendar (a scrape must stay cheap): the clock has not started, the dossier is in progress
# within or past its appointment, or it finished on time or late (late also when counted late, QĐ 766) and
# waits for its result to be handed over; a closed dossier (terminal status) is `ket_thuc`, its lateness is
# the reports' business (QĐ 766), not the dashboard's.
NO_CLOCK, ON_TRACK, OVERDUE, FINISHED_ON_TIME, FINISHED_LATE, CLOSED = (
    "chua_tinh", "trong_han", "qua_han", "xong_dung_han", "xong_qua_han", "ket_thuc")
OPEN_STATUSES = sorted(s.value for s in SubStatus if s not in TERMINAL)
CLOSED_STATUSES = sorted(s.value for s in TERMINAL)


def dossiers_by_status(session: Session, *, now: datetime) -> dict[tuple[str, str], int]:
    """(status, lateness) → dossiers. Open dossiers (a small share of the table) are read row by row through
    the status index to class their lateness; closed ones, which grow without end, are only counted by status
    (an index-only count on PostgreSQL)."""
    lateness = sa.case(
        (col(Dossier.due_at).is_(None), NO_CLOCK),
        (col(Dossier.finished_at).is_not(None) & (col(Dossier.counted_late)
                                                  | (col(Dossier.finished_at) > col(Dossier.due_at))),
         FINISHED_LATE),
        (col(Dossier.finished_at).is_not(None), FINISHED_ON_TIME),
        (col(Dossier.due_at) < now, OVERDUE),
        else_=ON_TRACK)
    rows = session.exec(select(Dossier.status, lateness, func.count())
                        .where(col(Dossier.status).in_(OPEN_STATUSES)).group_by(col(Dossier.status), lateness)).all()
    counts = {(str(status), str(late)): int(n) for status, late, n in rows}
    closed = session.exec(select(Dossier.status, func.count()).where(col(Dossier.status).in_(CLOSED_STATUSES))
                          .group_by(col(Dossier.status))).all()
    counts.update({(str(status), CLOSED): int(n) for status, n in closed})
    return counts


def open_tasks(session: Session, *, now: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """(department code of the dossier, lane) → (open work items, overdue among them)."""
    overdue = func.sum(sa.case((col(WorkItem.due_at) < now, 1), else_=0))
    rows = session.exec(
        select(Department.code, WorkItem.lane, func.count(), overdue).select_from(WorkItem)
        .join(Dossier, col(Dossier.code) == col(WorkItem.business_key))
        .join(Department, col(Department.id) == col(Dossier.department_id))
        .where(WorkItem.state == "open").group_by(col(Department.code), col(WorkItem.lane))).all()
    return {(str(code), str(lane or "")): (int(n), int(late or 0)) for code, lane, n, late in rows}


def open_incidents(session: Session) -> dict[str, int]:
    """Process key → unresolved incidents."""
    rows = session.exec(
        select(ProcessInstance.process_key, func.count()).select_from(Incident)
        .join(ProcessInstance, col(ProcessInstance.id) == col(Incident.instance_id))
        .where(col(Incident.resolved_at).is_(None)).group_by(col(ProcessInstance.process_key))).all()
    return {str(key): int(n) for key, n in rows}


def outbox_by_channel(session: Session) -> dict[tuple[str, str], int]:
    """(channel, state) → outbox rows; states as administrators see them (waiting, dead, unreachable, sent)."""
    rows = session.exec(select(OutboxMessage.channel, OutboxMessage.status, func.count())
                        .group_by(col(OutboxMessage.channel), col(OutboxMessage.status))).all()
    counts: dict[tuple[str, str], int] = {}
    for channel, status, n in rows:
        state = STATE_OF[status].value if status in STATE_OF else str(status)
        counts[(str(channel), state)] = counts.get((str(channel), state), 0) + int(n)
    return counts


class BusinessCollector:
    """The gauges above, each family counted in its own short read; a family whose query fails is left out
    of that scrape (logged), so one broken table does not hide the others."""

    def __init__(self, db: Engine, *, clock: Clock, dvcqg: Callable[[], AdapterState] | None = None) -> None:
        """`dvcqg()` is the DVCQG adapter's state (this process's calls and those the jobs' process reported)."""
        self._db = db
        self._clock = clock
        self._dvcqg = dvcqg

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for build in (self._dossiers, self._tasks, self._incidents, self._outbox, self._national):
            yield from self._safely(build)
        yield from self._adapter()

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no scrape at registration time (the database may not be ready)

    def _safely(self, build: Callable[[Session], list[GaugeMetricFamily]]) -> list[GaugeMetricFamily]:
        try:
            with Session(self._db) as session:
                return build(session)
        except Exception:  # noqa: BLE001 - a scrape reports what it can
            log.warning("metrics family %s unavailable", build.__name__, exc_info=True)
            return []

    def _dossiers(self, session: Session) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily("motcua_dossiers", "Dossiers by sub-status and lateness class",
                                   labels=["status", "lateness"])
        for (status, lateness), n in sorted(dossiers_by_status(session, now=self._clock.now()).items()):
            family.add_metric([status, lateness], float(n))
        return [family]

    def _tasks(self, session: Session) -> list[GaugeMetricFamily]:
        opened = GaugeMetricFamily("motcua_tasks_open", "Open user tasks by department of the dossier and lane",
                                   labels=["department", "lane"])
        overdue = GaugeMetricFamily("motcua_tasks_overdue", "Open user tasks past their step's due time",
                                    labels=["department", "lane"])
        for key, (n, late) in sorted(open_tasks(session, now=self._clock.now()).items()):
            opened.add_metric(list(key), float(n))
            overdue.add_metric(list(key), float(late))
        return [opened, overdue]

    def _incidents(self, session: Session) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily("motcua_incidents_open", "Unresolved process incidents by process",
                                   labels=["process"])
        for key, n in sorted(open_incidents(session).items()):
            family.add_metric([key], float(n))
        return [family]

    def _outbox(self, session: Session) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily("motcua_outbox_channel_messages", "Outbox rows by channel and state",
                                   labels=["channel", "state"])
        for (channel, state), n in sorted(outbox_by_channel(session).items()):
            family.add_metric([channel, state], float(n))
        return [family]

    def _national(self, session: Session) -> list[GaugeMetricFamily]:
        states = GaugeMetricFamily("motcua_dvcqg_sync_messages",
                                   "Status-sync records to the national portal by outbox status",
                                   labels=["state"])
        counts = national_sync.counts(session)
        for state in ("pending", "sending", "sent", "dead", "unreachable"):
            counts.setdefault(state, 0)
        for state, n in sorted(counts.items()):
            states.add_metric([state], float(n))
        return [states]

    def _adapter(self) -> list[GaugeMetricFamily]:
        """The DVCQG adapter's gauges, outside any session of this scrape: its state reads the job reports in
        a session of its own, and on SQLite a second transaction of this thread would wait for the first's
        turn at the writer gate (the scrape hung 30 s)."""
        if self._dvcqg is None:
            return []
        try:
            adapter = self._dvcqg()
        except Exception:  # noqa: BLE001 - a scrape reports what it can
            log.warning("metrics family _adapter unavailable", exc_info=True)
            return []
        success = GaugeMetricFamily("motcua_dvcqg_last_success_timestamp_seconds",
                                    "Unix time of the adapter's last successful call (0: none yet)")
        last = adapter.last_success_at
        success.add_metric([], last.timestamp() if last is not None else 0.0)
        error = GaugeMetricFamily("motcua_dvcqg_adapter_error",
                                  "1 while the adapter's last call failed (cleared by a success)")
        error.add_metric([], 1.0 if adapter.last_error else 0.0)
        return [success, error]
