"""Tables of the shared core: the rate-limit counters of every limited request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class RateLimitHit(SQLModel, table=True):
    """Hits of one client key in one fixed window; two adjacent windows give the sliding estimate.
    The key is a keyed hash of the client (never a raw IP address) plus the kind of request."""

    __tablename__ = "rate_limit_hit"

    key: str = Field(primary_key=True, max_length=120)
    window_start: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), primary_key=True))
    count: int = Field(default=0)


class SchedulerJobReport(SQLModel, table=True):
    """The last run of one scheduler job in one process that runs the jobs (`worker` = host:pid), written by
    that process (`workflows.scheduler`). On PostgreSQL the jobs run in a process without HTTP (`motcua
    serve`'s jobs' process, `motcua worker`): the server processes show these rows on /readyz, the admin
    API and the `motcua_scheduler_job_*` metrics. Rows of processes long gone are pruned by housekeeping."""

    __tablename__ = "scheduler_job_report"

    worker: str = Field(primary_key=True, max_length=200)
    job: str = Field(primary_key=True, max_length=64)
    interval_seconds: float
    runs: int = Field(default=0)
    failures: int = Field(default=0)
    processed_total: int = Field(default=0)
    last_processed: int = Field(default=0)
    last_started_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    last_success_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    last_duration_seconds: float | None = None
    last_error: str | None = Field(default=None, max_length=500)
    detail: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    reported_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, index=True))
