"""Rows that matter only for a while, dropped once they no longer change anything: rate-limit windows that
ended (`rate_limit_hit`), login-throttle counters whose failures are forgotten and whose wait is over
(`login_throttle`), and the scheduler's job reports of processes gone for a week (`scheduler_job_report`).
Without it the first two tables grow with every client address and every username typed, and a
spray of made-up usernames adds a row each (stop 28 left them unpruned).

The scheduler's `housekeeping` job runs `run` once an hour, one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, delete

from workflows.core import ratelimit
from workflows.core.config import LoginThrottleSettings
from workflows.core.db import session_scope
from workflows.core.models import SchedulerJobReport
from workflows.identity import throttle

JOB = "housekeeping"
INTERVAL_SECONDS = 3600.0
# Longer than the longest window a limit uses (a day: the lookup's second-factor budget, the client budget),
# so that only windows that ended are dropped, whatever limit wrote them.
KEEP_WINDOWS = timedelta(days=2)
KEEP_JOB_REPORTS = timedelta(days=7)  # a process that has not reported for a week is gone (each has its pid)


def run(db: Engine, *, now: datetime, login: LoginThrottleSettings) -> int:
    """Drop the ended rate-limit windows, the forgotten login-throttle rows and the job reports of processes
    gone; how many rows went."""
    with session_scope(db) as session:
        windows = ratelimit.prune(session, before=now - KEEP_WINDOWS)
        counters = throttle.prune(session, now=now, settings=login)
        reports = session.exec(delete(SchedulerJobReport).where(  # type: ignore[call-overload]
            col(SchedulerJobReport.reported_at) < now - KEEP_JOB_REPORTS)).rowcount or 0
    return windows + counters + int(reports)


def job(db: Engine, *, login: LoginThrottleSettings, now: Callable[[], datetime]) -> Callable[[], int]:
    return lambda: run(db, now=now(), login=login)
