"""The scheduler's jobs in one process: BPMN timers fired on time, state, metrics, APScheduler threads."""

from __future__ import annotations

import time
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from sqlmodel import Session, select

from engine.models import ProcessInstance, WorkItem
from tests.scheduler.assembly import Domain, vn
from workflows.core.clock import to_local
from workflows.core.db import session_scope


def start_waiting(domain: Domain, *, due_in: timedelta, key: str = "HEN-1") -> int:
    """A `cho_hen` instance waiting on a timeDate timer `due_in` from now."""
    due = to_local(domain.clock.now() + due_in).isoformat()
    with session_scope(domain.db) as session:
        result = domain.engine.start(session, process_key="cho_hen", business_key=key, data={"hen_gio": due})
    assert result.status == "waiting" and result.opened == []
    return result.instance_id


def open_items(domain: Domain, instance_id: int) -> list[str]:
    with Session(domain.db) as session:
        return list(
            session.exec(
                select(WorkItem.element_id).where(
                    WorkItem.instance_id == instance_id, WorkItem.state == "open"
                )
            ).all()
        )


class TestTimerJob:
    def test_fires_within_one_run_after_its_due_time_and_only_once(self, domain: Domain) -> None:
        instance = start_waiting(domain, due_in=timedelta(minutes=10))
        registry = CollectorRegistry()
        scheduler = domain.scheduler(registry=registry)
        assert scheduler.state()["backlog"]["timers_due"] == 0

        domain.clock.advance(timedelta(minutes=9, seconds=59))
        assert scheduler.run_once("timers") == 0
        assert open_items(domain, instance) == []

        domain.clock.advance(timedelta(seconds=1))
        assert scheduler.state()["backlog"]["timers_due"] == 1
        assert scheduler.run_once("timers") == 1
        assert open_items(domain, instance) == ["xu_ly"]
        assert scheduler.run_once("timers") == 0
        assert open_items(domain, instance) == ["xu_ly"]
        with Session(domain.db) as session:
            row = session.get(ProcessInstance, instance)
            assert row is not None and row.next_timer_at is None

        state = scheduler.state()
        assert state["running"] is False
        assert state["backlog"]["timers_due"] == 0
        timers = state["jobs"]["timers"]
        assert (timers["runs"], timers["processed_total"], timers["failures"]) == (3, 1, 0)
        assert timers["last_success_at"] == domain.clock.now().isoformat()
        text = generate_latest(registry).decode()
        assert 'motcua_scheduler_job_runs_total{job="timers",outcome="ok"} 3.0' in text
        assert 'motcua_scheduler_job_processed_total{job="timers"} 1.0' in text
        assert 'motcua_scheduler_backlog{kind="timers_due"} 0.0' in text

    def test_one_failing_instance_does_not_stop_the_others(self, domain: Domain) -> None:
        good = start_waiting(domain, due_in=timedelta(minutes=1), key="HEN-GOOD")
        bad = start_waiting(domain, due_in=timedelta(minutes=1), key="HEN-BAD")
        seen: list[int] = []

        def after_timer(session: Session, result: object) -> None:
            instance_id = result.instance_id  # type: ignore[attr-defined]
            seen.append(instance_id)
            if instance_id == bad:
                raise RuntimeError("hook failure")

        scheduler = domain.scheduler(after_timer=after_timer)
        domain.clock.advance(timedelta(minutes=2))
        assert scheduler.run_once("timers") == 1
        assert open_items(domain, good) == ["xu_ly"]
        assert open_items(domain, bad) == []  # its transaction rolled back: still due, retried next run
        assert scheduler.state()["backlog"]["timers_due"] == 1
        assert sorted(seen) == sorted([good, bad])

    def test_background_threads_fire_a_timer_within_seconds(self, domain: Domain) -> None:
        instance = start_waiting(domain, due_in=timedelta(seconds=30))
        domain.settings.scheduler.timer_interval_seconds = 0.2
        scheduler = domain.scheduler()
        scheduler.start()
        try:
            assert scheduler.running
            time.sleep(0.5)
            assert open_items(domain, instance) == []
            domain.clock.advance(timedelta(seconds=30))
            deadline = time.monotonic() + 3.0
            while not open_items(domain, instance) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert open_items(domain, instance) == ["xu_ly"]
        finally:
            scheduler.stop()
        assert not scheduler.running
        assert scheduler.state()["jobs"]["reminders"]["runs"] >= 1


class TestState:
    def test_reminder_backlog_and_failures_are_reported(self, domain: Domain) -> None:
        domain.clock.set(vn(2026, 11, 24, 9, 0))
        scheduler = domain.scheduler(token_refresher=lambda: 1 // 0)
        assert scheduler.jobs == ["timers", "reminders", "tokens"]
        assert scheduler.run_once("tokens") == 0
        tokens = scheduler.state()["jobs"]["tokens"]
        assert tokens["failures"] == 1 and tokens["last_error"].startswith("ZeroDivisionError")
        assert tokens["last_success_at"] is None
