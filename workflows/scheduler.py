"""The scheduler: APScheduler is only the clock; what is due lives in the database (DESIGN.md "Scheduler").

Jobs are idempotent pollers, each claiming one entity per transaction (FOR UPDATE SKIP LOCKED on PostgreSQL),
so any number of processes may run them: the server in the embedded default, `motcua worker` processes at
scale. APScheduler keeps no state (in-memory job store, rebuilt at each start), runs each job at most once at
a time and coalesces missed runs. `run_once(name)` runs a job in the caller's thread (tests, the CLI).

Jobs: `timers` (due BPMN timers, fired through `workflows.process.service.fire_timers`, which runs the
after-step hook of each instance's process, a dossier's or a feedback case's alike), `reminders`
(workflows.reminders.jobs), `outbox` (a relay pass, only while the relay's own prompt-notify thread is not
running — the scheduler starts and stops that thread), `tokens` (refresh the Zalo OA token pair before it
expires), and those the wiring adds (`zalo_articles`: news published and broadcast on Zalo).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, col, select

from connectors.outbox import OutboxMessage, OutboxRelay
from connectors.outbox.models import ACTIVE as OUTBOX_ACTIVE
from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloNotConnected
from connectors.zalo.tokens import TokenStore
from engine import Engine, StepResult
from engine.models import ProcessInstance
from engine.store import ACTIVE as INSTANCE_ACTIVE
from workflows.collaborators import DomainServices
from workflows.core.clock import ensure_utc
from workflows.core.config import Settings
from workflows.core.db import session_scope, upsert
from workflows.core.models import SchedulerJobReport
from workflows.process import service as process
from workflows.reminders.jobs import ReminderPolicy, due_reminders, send_due_reminders

log = logging.getLogger(__name__)

TIMERS, REMINDERS, OUTBOX, TOKENS = "timers", "reminders", "outbox", "tokens"
AfterTimer = Callable[[Session, StepResult], None]


@dataclass
class JobState:
    interval_seconds: float
    runs: int = 0
    failures: int = 0
    processed_total: int = 0
    last_processed: int = 0
    last_started_at: datetime | None = None
    last_success_at: datetime | None = None
    last_duration_seconds: float | None = None
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    reported: float | None = None  # time.monotonic() of the last report written
    reported_error: tuple[str | None, str | None] = (None, None)  # the errors that report carried (job, detail)

    def values(self) -> dict[str, Any]:
        """The run figures, as `SchedulerJobReport` stores them."""
        return {name: getattr(self, name) for name in REPORTED}


# The figures of a job's runs: JobState's and SchedulerJobReport's columns alike.
REPORTED = ("interval_seconds", "runs", "failures", "processed_total", "last_processed", "last_started_at",
            "last_success_at", "last_duration_seconds", "last_error")
REPORT_SECONDS = 10.0  # a process running the jobs writes each job's report at most this often (and on errors)
REPORTS_SHOWN = timedelta(days=1)  # reports older than this (a process long gone) are not shown


def worker_name() -> str:
    """This process, as the job reports name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _iso(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


class Scheduler:
    """Built once (the wiring); `start()` in the server or `motcua worker`, `stop()` at shutdown."""

    def __init__(
        self, *, db: DbEngine, engine: Engine, relay: OutboxRelay | None, services: DomainServices,
        settings: Settings, token_refresher: Callable[[], int] | None = None,
        registry: CollectorRegistry | None = None, reminder_policy: ReminderPolicy = ReminderPolicy(),
        after_timer: AfterTimer | None = None, batch_size: int = 100, token_interval_seconds: float = 300.0,
        extra_jobs: Mapping[str, tuple[Callable[[], int], float]] | None = None,
        details: Mapping[str, Callable[[], dict[str, Any]]] | None = None,
    ) -> None:
        """`token_refresher()` refreshes when needed and returns 1 if it did (see `zalo_token_refresher`);
        `after_timer(session, result)`, when given, runs in a fired timer's transaction after the process's own
        after-step hook (tests observe and break a step with it); `extra_jobs` maps more job names to
        (job, interval in seconds), e.g. `zalo_articles` (workflows/zalo/article_jobs.py); `details` maps a
        job name to what its report also carries (JSON; a change of its `last_error` is reported at once), e.g.
        the DVCQG adapter's state with `dvcqg_sync`, whose calls the process running the jobs makes."""
        self._db = db
        self._engine = engine
        self._relay = relay
        self._services = services
        self._now = services.clock.now
        self._policy = reminder_policy
        self._after_timer = after_timer
        self._token_refresher = token_refresher
        self._batch = batch_size
        config = settings.scheduler
        self._jobs: dict[str, tuple[Callable[[], int], JobState]] = {
            TIMERS: (self._fire_timers, JobState(config.timer_interval_seconds)),
            REMINDERS: (self._send_reminders, JobState(config.reminder_interval_seconds)),
        }
        if relay is not None:
            self._jobs[OUTBOX] = (self._relay_pass, JobState(config.outbox_interval_seconds))
        if token_refresher is not None:
            self._jobs[TOKENS] = (token_refresher, JobState(token_interval_seconds))
        for name, (job, interval) in (extra_jobs or {}).items():
            self._jobs[name] = (job, JobState(interval))
        self._details = dict(details or {})
        self._aps: BackgroundScheduler | None = None
        self._reporting = False  # whether runs are written to `scheduler_job_report` (while the clock runs)
        self._metrics = _Metrics(registry, self) if registry is not None else None

    # ---- control -----------------------------------------------------------------------------------------

    @property
    def jobs(self) -> list[str]:
        return list(self._jobs)

    @property
    def running(self) -> bool:
        return self._aps is not None and self._aps.running

    def start(self) -> None:
        """Start the relay's thread and the clock; every job runs at once, then at its interval."""
        if self.running:
            return
        if self._relay is not None:
            self._relay.start()
        self._reporting = True  # before the first runs, which start with the clock
        aps = BackgroundScheduler(timezone=UTC)
        first = datetime.now(UTC)
        for name, (_, state) in self._jobs.items():
            aps.add_job(self.run_once, "interval", args=[name], id=name, name=name,
                        seconds=state.interval_seconds, next_run_time=first, coalesce=True, max_instances=1,
                        misfire_grace_time=None, replace_existing=True)
        aps.start()
        self._aps = aps

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the clock, waiting for running jobs (each is short transactions), then the relay."""
        if self._aps is not None:
            if self._aps.running:
                self._aps.shutdown(wait=True)
            self._aps = None
            for name, (_, state) in self._jobs.items():  # the runs since the last reports, for those who read them
                if state.runs:
                    self._report(name, state, final=True)
        self._reporting = False
        if self._relay is not None:
            self._relay.stop(timeout)

    def run_once(self, name: str) -> int:
        """Run job `name` now in this thread (skipped, returning 0, while another thread runs it)."""
        job, state = self._jobs[name]
        if not state.lock.acquire(blocking=False):
            return 0
        try:
            return self._timed(name, job, state)
        finally:
            state.lock.release()

    def _timed(self, name: str, job: Callable[[], int], state: JobState) -> int:
        state.runs += 1
        state.last_started_at = self._now()
        started = time.monotonic()
        try:
            processed = int(job() or 0)
        except Exception as exc:  # noqa: BLE001 - the job is retried at its next tick; the state says why
            log.exception("scheduler job %s failed", name)
            state.failures += 1
            state.last_error = f"{type(exc).__name__}: {exc}"[:500]
            state.last_duration_seconds = time.monotonic() - started
            self._report(name, state)
            return 0
        state.last_duration_seconds = time.monotonic() - started
        state.last_processed = processed
        state.processed_total += processed
        state.last_success_at = self._now()
        state.last_error = None
        self._report(name, state)
        return processed

    def _report(self, name: str, state: JobState, *, final: bool = False) -> None:
        """Write the job's figures for the processes that do not run the jobs: at most every
        `REPORT_SECONDS`, at once when the outcome changes (a failure, a recovery), and when the clock stops
        (`final`). Only while the clock runs: a job run by hand (tests, the CLI) stays this process's. A
        report that cannot be written is logged; the job's own outcome stands."""
        if not self._reporting:
            return
        now = time.monotonic()
        detail = self._detail(name)
        errors = (state.last_error, detail.get("last_error") if detail else None)
        if (not final and state.reported is not None and errors == state.reported_error
                and now - state.reported < REPORT_SECONDS):
            return
        key = {"worker": worker_name(), "job": name}
        figures = {**state.values(), "detail": detail, "reported_at": self._now()}
        try:
            with session_scope(self._db) as session:
                upsert(session, SchedulerJobReport.__table__, {**key, **figures},  # type: ignore[attr-defined]
                       conflict=list(key), set_=figures)
        except Exception:  # noqa: BLE001 - the state in this process stays right; the next run retries
            log.warning("scheduler job %s: its report was not written", name, exc_info=True)
            return
        state.reported, state.reported_error = now, errors

    def _detail(self, name: str) -> dict[str, Any] | None:
        describe = self._details.get(name)
        if describe is None:
            return None
        try:
            return describe()
        except Exception:  # noqa: BLE001 - a report without its detail rather than none
            log.warning("scheduler job %s: its detail is unavailable", name, exc_info=True)
            return None

    # ---- state ---------------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """{"running", "jobs": {name: {...last run...}}, "backlog": {...}} for /readyz and the admin API.
        `running` says whether this process runs the jobs; `jobs` is `job_figures()`."""
        return {"running": self.running, "jobs": {name: _iso(values) for name, values in self.job_figures().items()},
                "backlog": self.backlog()}

    def job_figures(self) -> dict[str, dict[str, Any]]:
        """Each job's last run: this process's once it ran the job, else the latest report of a process that
        runs the jobs (with its `worker` and `reported_at`; on PostgreSQL the server processes do not), else
        this process's figures of a job never run."""
        local = {name: {**state.values(), "detail": self._detail(name)} for name, (_, state) in self._jobs.items()}
        never_ran = [name for name, (_, state) in self._jobs.items() if state.runs == 0]
        reports = self._reports() if never_ran else {}
        return {**{name: values for name, values in reports.items() if name not in local},
                **{name: reports.get(name, values) if name in never_ran else values
                   for name, values in local.items()}}

    def _reports(self) -> dict[str, dict[str, Any]]:
        """The latest report of each job, from the processes that reported within `REPORTS_SHOWN`."""
        try:
            with Session(self._db) as session:
                rows = session.exec(select(SchedulerJobReport)
                                    .where(col(SchedulerJobReport.reported_at) >= self._now() - REPORTS_SHOWN)
                                    .order_by(col(SchedulerJobReport.reported_at))).all()
        except Exception:  # noqa: BLE001 - a probe reports, it does not fail
            log.warning("scheduler job reports unavailable", exc_info=True)
            return {}
        return {row.job: {**{name: getattr(row, name) for name in REPORTED}, "detail": row.detail,
                          "worker": row.worker, "reported_at": row.reported_at}
                for row in rows}  # the latest report of a job comes last

    def backlog(self) -> dict[str, int | None]:
        """What is due now and not yet done; None for a count the database could not give."""
        now = self._now()
        counts: dict[str, int | None] = {}
        queries: dict[str, Callable[[Session, datetime], int]] = {
            "timers_due": _timers_due, "reminders_due": self._reminders_due, "outbox_due": _outbox_due,
        }
        for name, query in queries.items():
            try:
                with Session(self._db) as session:
                    counts[name] = query(session, now)
            except Exception:  # noqa: BLE001 - a probe reports, it does not fail
                log.warning("scheduler backlog %s unavailable", name, exc_info=True)
                counts[name] = None
        return counts

    def _reminders_due(self, session: Session, now: datetime) -> int:
        return len(due_reminders(session, services=self._services, now=now, policy=self._policy, limit=1000))

    # ---- jobs ----------------------------------------------------------------------------------------------

    def _fire_timers(self) -> int:
        """Fire every due timer, one instance per transaction; a failing instance is logged and skipped."""
        fired = 0
        for _ in range(20):  # bounded: a cycle timer that stays due must not keep one run going forever
            with session_scope(self._db) as session:
                ids = self._engine.due_timer_instance_ids(session, limit=self._batch)
            progressed = 0
            for instance_id in ids:
                try:
                    with session_scope(self._db) as session:
                        result = process.fire_timers(session, engine=self._engine, services=self._services,
                                                     instance_id=instance_id)
                        if result is not None:
                            if self._after_timer is not None:
                                self._after_timer(session, result)
                            progressed += 1
                except Exception:  # noqa: BLE001 - the instance stays due and is retried at the next tick
                    log.exception("firing the timers of instance %s failed", instance_id)
            fired += progressed
            if len(ids) < self._batch or progressed == 0:
                break
        return fired

    def _send_reminders(self) -> int:
        on_commit = self._relay.notify if self._relay is not None else None
        return send_due_reminders(self._db, services=self._services, now=self._now(), batch=self._batch,
                                  policy=self._policy, on_commit=on_commit)

    def _relay_pass(self) -> int:
        assert self._relay is not None
        if self._relay.running:
            return 0  # its own thread polls and wakes on notify(); a second pass would only contend
        done = 0
        for _ in range(20):  # a pass sends only the head of each subject: the next ones become due after it
            stats = self._relay.run_once(self._batch)
            finished = stats.sent + stats.unreachable + stats.dead
            done += finished
            if finished == 0 or stats.rate_limited:
                break
        return done


def _timers_due(session: Session, now: datetime) -> int:
    return int(session.exec(
        select(func.count()).select_from(ProcessInstance)
        .where(col(ProcessInstance.next_timer_at) <= now, col(ProcessInstance.status).in_(INSTANCE_ACTIVE))
    ).one())


def _outbox_due(session: Session, now: datetime) -> int:
    return int(session.exec(
        select(func.count()).select_from(OutboxMessage)
        .where(col(OutboxMessage.status).in_(OUTBOX_ACTIVE), col(OutboxMessage.next_attempt_at) <= now,
               OutboxMessage.channel == "zalo")  # the `outbox` job's relay (DVCQG rows: job `dvcqg_sync`)
    ).one())


def zalo_token_refresher(
    *, tokens: TokenStore, client: ZaloClient, now: Callable[[], datetime],
    margin: timedelta = timedelta(hours=6),
) -> Callable[[], int]:
    """A `token_refresher`: rotate the OA pair when the access token has less than `margin` left (the client
    refreshes single-flight across processes, so several workers may call this)."""

    def refresh() -> int:
        pair = tokens.current()
        if pair is None or pair.access_expires_at - now() > margin:
            return 0
        try:
            client.refresh_tokens()
        except ZaloNotConnected as exc:
            # Recorded on the connection (refresh_failed, or a backoff): shown there, not as a job failure.
            log.warning("zalo token refresh not done: %s", exc)
            return 0
        return 1

    return refresh


class _Metrics:
    """The `motcua_scheduler_job_*` figures of `Scheduler.job_figures()`, read when Prometheus scrapes: this
    process's runs, or the reports of the process that runs the jobs (a server process on PostgreSQL)."""

    def __init__(self, registry: CollectorRegistry, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        registry.register(self)
        registry.register(_BacklogCollector(scheduler))

    def collect(self) -> Iterator[Metric]:
        runs = CounterMetricFamily("motcua_scheduler_job_runs", "Scheduler job runs", labels=["job", "outcome"])
        processed = CounterMetricFamily("motcua_scheduler_job_processed", "Entities a job processed",
                                        labels=["job"])
        last_success = GaugeMetricFamily("motcua_scheduler_job_last_success_timestamp_seconds",
                                         "Unix time of the job's last successful run", labels=["job"])
        duration = GaugeMetricFamily("motcua_scheduler_job_last_duration_seconds", "Duration of the job's last run",
                                     labels=["job"])
        for job, figures in self._scheduler.job_figures().items():
            if not figures["runs"]:
                continue
            runs.add_metric([job, "ok"], figures["runs"] - figures["failures"])
            runs.add_metric([job, "error"], figures["failures"])
            processed.add_metric([job], figures["processed_total"])
            if figures["last_success_at"] is not None:
                last_success.add_metric([job], ensure_utc(figures["last_success_at"]).timestamp())
            if figures["last_duration_seconds"] is not None:
                duration.add_metric([job], figures["last_duration_seconds"])
        yield from (runs, processed, last_success, duration)

    def describe(self) -> list[Metric]:
        return []  # no scrape at registration time (the database may not be ready)


class _BacklogCollector:
    """The due backlog, counted when Prometheus scrapes (so it is right even when no job ran lately)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("motcua_scheduler_backlog", "Entities due and not yet processed",
                                   labels=["kind"])
        for kind, count in self._scheduler.backlog().items():
            if count is not None:
                family.add_metric([kind], float(count))
        yield family

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no scrape at registration time (the database may not be ready)
