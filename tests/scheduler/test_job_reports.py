"""A process that does not run the jobs (a server process on PostgreSQL, beside `motcua serve`'s jobs' process or
`motcua worker`) shows the jobs' last runs as the process that runs them reported them: on the state /readyz
and the admin API give, and in the `motcua_scheduler_job_*` metrics (both databases)."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from connectors.dvcqg import AdapterState
from tests.http_api.live import wait_for
from tests.scheduler.assembly import Domain
from workflows import housekeeping
from workflows.core.config import LoginThrottleSettings


def test_the_jobs_last_runs_are_shown_by_a_process_that_does_not_run_them(domain: Domain) -> None:
    domain.settings.scheduler.timer_interval_seconds = 0.2
    calls = {"n": 0}

    def portal() -> int:  # succeeds once, then keeps failing
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("cổng chưa trả lời")
        return 2

    runner = domain.scheduler(extra_jobs={"portal": (portal, 0.2)})
    registry = CollectorRegistry()
    reader = domain.scheduler(registry=registry)  # a server process: its scheduler is never started
    assert "worker" not in reader.state()["jobs"]["timers"]  # nothing reported yet: its own, never run
    assert "motcua_scheduler_job_runs_total{" not in generate_latest(registry).decode()

    runner.start()
    try:
        # A failure is reported at once, not at the next report (`REPORT_SECONDS`).
        assert wait_for(lambda: reader.state()["jobs"].get("portal", {}).get("failures"), timeout=10)
        assert runner.state()["jobs"]["portal"]["runs"] >= 2
    finally:
        runner.stop()  # writes the runs since the last reports
    ran = runner.state()["jobs"]

    state = reader.state()
    assert state["running"] is False
    worker = f"{socket.gethostname()}:{os.getpid()}"
    timers, failing = state["jobs"]["timers"], state["jobs"]["portal"]
    assert timers["worker"] == worker and timers["runs"] >= 1 and timers["failures"] == 0
    assert timers["last_success_at"] == timers["reported_at"] == domain.clock.now().isoformat()
    assert timers["interval_seconds"] == 0.2
    assert timers["runs"] == ran["timers"]["runs"] and failing["failures"] == ran["portal"]["failures"]
    assert failing["worker"] == worker and failing["failures"] >= 1 and failing["processed_total"] == 2
    assert failing["last_error"] == "RuntimeError: cổng chưa trả lời"
    assert failing["last_success_at"] == domain.clock.now().isoformat()

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(generate_latest(registry).decode())
               for s in family.samples}
    runs = "motcua_scheduler_job_runs_total"
    assert samples[(runs, (("job", "portal"), ("outcome", "error")))] == failing["failures"]
    assert samples[(runs, (("job", "portal"), ("outcome", "ok")))] == 1
    assert samples[("motcua_scheduler_job_processed_total", (("job", "portal"),))] == 2
    assert samples[("motcua_scheduler_job_last_success_timestamp_seconds", (("job", "timers"),))] == \
        domain.clock.now().timestamp()

    # A job this process runs itself is its own again.
    reader.run_once("timers")
    own = reader.state()["jobs"]["timers"]
    assert "worker" not in own and own["runs"] == 1

    # Reports of a process gone for more than a day are not shown; after a week housekeeping drops them.
    domain.clock.advance(timedelta(days=2))
    assert "worker" not in reader.state()["jobs"]["reminders"]
    assert "portal" not in reader.state()["jobs"]
    jobs = len(runner.jobs)
    later = domain.clock.now() + timedelta(days=6)
    assert housekeeping.run(domain.db, now=later, login=LoginThrottleSettings()) >= jobs
    assert housekeeping.run(domain.db, now=later, login=LoginThrottleSettings()) == 0


def test_a_jobs_detail_travels_with_its_report_and_an_adapter_failure_is_reported_at_once(domain: Domain) -> None:
    """The status sync's report carries the DVCQG adapter's state (workflows/wiring.py): a server process
    shows the failure of the jobs' process's calls within a run, not at the next report 10 s later."""
    succeeded = domain.clock.now()
    adapter = {"state": AdapterState(last_success_at=succeeded)}
    runner = domain.scheduler(extra_jobs={"dvcqg_sync": (lambda: 0, 0.2)},
                              details={"dvcqg_sync": lambda: adapter["state"].to_detail()})
    reader = domain.scheduler()
    runner.start()
    try:
        assert wait_for(lambda: reader.job_figures().get("dvcqg_sync", {}).get("detail"), timeout=10)
        failed = succeeded + timedelta(seconds=1)
        adapter["state"] = AdapterState(last_success_at=succeeded, last_error="connection failed: refused",
                                        last_error_at=failed)
        error = wait_for(lambda: reader.job_figures()["dvcqg_sync"]["detail"]["last_error"], timeout=5)
        assert error == "connection failed: refused"
    finally:
        runner.stop()
    reported = AdapterState.from_detail(reader.job_figures()["dvcqg_sync"]["detail"])
    assert reported == adapter["state"]
    # Merged with this process's own calls: a later success of its own clears the failure, an older does not.
    assert reported.merged(AdapterState(last_success_at=failed - timedelta(seconds=2))) == reported
    cleared = reported.merged(AdapterState(last_success_at=failed + timedelta(seconds=1)))
    assert cleared == AdapterState(last_success_at=failed + timedelta(seconds=1))
