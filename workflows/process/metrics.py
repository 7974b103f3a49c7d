"""Step latency: how long each user task stayed open, observed when it is completed (a Prometheus histogram).

One histogram per process (module level), registered in every wiring's registry: a server process has one
wiring, and the tests that build several read differences, never absolute counts."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Histogram

# From a minute to a month: a desk check takes minutes, an appraisal days, a stalled step weeks.
BUCKETS = (60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 8 * 3600.0, 86400.0, 2 * 86400.0, 3 * 86400.0,
           5 * 86400.0, 7 * 86400.0, 14 * 86400.0, 30 * 86400.0)

STEP_SECONDS = Histogram(
    "motcua_step_duration_seconds", "Wall-clock time a user task stayed open until it was completed",
    ["process", "step", "lane"], buckets=BUCKETS, registry=None)


def observe_step(*, process: str, step: str, lane: str | None, created_at: datetime, completed_at: datetime) -> None:
    """Record one completed task. Labels come from the deployed BPMN (process key, element id, lane), so their
    number is bounded by the models, never by dossiers or people."""
    seconds = max((completed_at - created_at).total_seconds(), 0.0)
    STEP_SECONDS.labels(process=process, step=step, lane=lane or "").observe(seconds)
