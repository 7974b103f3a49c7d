"""Several worker processes on one PostgreSQL database: nothing fired or sent twice, nothing lost when a
worker is killed in the middle of a transaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from engine.models import ProcessInstance, WorkItem
from tests.scheduler.assembly import Domain
from tests.scheduler.conftest import intake
from workflows.core.clock import to_local
from workflows.core.db import session_scope
from workflows.reminders.models import OfficialNotification, ReminderSent

SCRIPT = Path(__file__).resolve().parent / "worker_proc.py"


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("several processes claiming rows with SKIP LOCKED: a PostgreSQL test")


def worker(
    domain: Domain, go_at: float, jobs: str, tmp_path: Path, *, slow: float = 0.0
) -> subprocess.Popen[str]:
    url = domain.db.url.render_as_string(hide_password=False)
    command = [
        sys.executable,
        str(SCRIPT),
        url,
        domain.clock.now().isoformat(),
        str(go_at),
        jobs,
        "--slow",
        str(slow),
        "--files",
        str(tmp_path / "files"),
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def finish(process: subprocess.Popen[str]) -> dict[str, int]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def waiting_instances(domain: Domain, count: int, *, code: str) -> list[int]:
    due = to_local(domain.clock.now() + timedelta(minutes=5)).isoformat()
    ids = []
    with session_scope(domain.db) as session:
        for _ in range(count):
            result = domain.engine.start(
                session, process_key="cho_hen", business_key=code, data={"hen_gio": due}
            )
            ids.append(result.instance_id)
    return ids


def items_per_instance(domain: Domain, ids: list[int]) -> dict[int, int]:
    with Session(domain.db) as session:
        rows = session.exec(
            select(WorkItem.instance_id, func.count())
            .where(col(WorkItem.instance_id).in_(ids), WorkItem.element_id == "xu_ly")
            .group_by(col(WorkItem.instance_id))
        ).all()
    return {instance_id: count for instance_id, count in rows}


def test_two_workers_fire_each_timer_and_send_each_reminder_once(domain: Domain, tmp_path: Path) -> None:
    code = intake(domain)  # the timer instances belong to this dossier: its department's officials
    ids = waiting_instances(domain, 40, code=code)
    domain.clock.advance(timedelta(minutes=6))

    go = time.time() + 4.0
    a, b = worker(domain, go, "timers", tmp_path), worker(domain, go, "timers", tmp_path)
    fired = [finish(a)["timers"], finish(b)["timers"]]
    assert sum(fired) == 40, fired
    assert items_per_instance(domain, ids) == dict.fromkeys(ids, 1)
    with Session(domain.db) as session:
        assert (
            session.exec(
                select(func.count())
                .select_from(ProcessInstance)
                .where(col(ProcessInstance.next_timer_at).is_not(None))
            ).one()
            == 0
        )

    # Every step the timers opened is late: overdue to the two case officers, escalation to the head.
    with session_scope(domain.db) as session:
        for item in session.exec(select(WorkItem).where(col(WorkItem.instance_id).in_(ids))).all():
            item.due_at = domain.clock.now() - timedelta(minutes=1)
            session.add(item)
    go = time.time() + 4.0
    a, b = worker(domain, go, "reminders", tmp_path), worker(domain, go, "reminders", tmp_path)
    sent = [finish(a)["reminders"], finish(b)["reminders"]]
    with Session(domain.db) as session:
        recorded = session.exec(select(ReminderSent.subject, ReminderSent.kind)).all()
        rows = session.exec(
            select(
                OfficialNotification.official_id, OfficialNotification.task_id, OfficialNotification.kind
            ).where(
                col(OfficialNotification.task_id).in_(
                    select(WorkItem.id).where(col(WorkItem.instance_id).in_(ids))
                )
            )
        ).all()
    assert sum(sent) == len(recorded), sent  # each worker counted only what it recorded itself
    ours = [r for r in recorded if r[0] != f"dossier:{code}" and r[1] in ("overdue", "escalation")]
    assert len(ours) >= 80
    assert len(rows) == len(set(rows)), "a notification was sent twice"
    assert len(rows) == 40 * 3  # two case officers (the lane, unassigned) + the division head, per step


def test_a_worker_killed_mid_transaction_loses_nothing(domain: Domain, tmp_path: Path) -> None:
    code = intake(domain)
    ids = waiting_instances(domain, 8, code=code)
    domain.clock.advance(timedelta(minutes=6))
    doomed = worker(domain, time.time(), "timers", tmp_path, slow=2.0)
    assert doomed.stderr is not None
    started = 0
    while started < 3:  # "fired" is printed inside the transaction, before the sleep
        line = doomed.stderr.readline()
        assert line, "the worker ended before it was killed"
        started += line.startswith("fired ")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    committed = items_per_instance(domain, ids)
    assert sum(committed.values()) == 2  # the third was in flight: rolled back with the dead connection

    _wait_for_aborted_transactions(domain)
    survivor = worker(domain, time.time(), "timers", tmp_path)
    assert finish(survivor)["timers"] == 6
    assert items_per_instance(domain, ids) == dict.fromkeys(ids, 1)


def _wait_for_aborted_transactions(domain: Domain) -> None:
    """PostgreSQL ends the dead worker's session (and its row locks) once it sees the closed socket."""
    deadline = time.monotonic() + 10
    with domain.db.connect() as connection:
        while time.monotonic() < deadline:
            idle = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
            ).scalar()
            if not idle:
                return
            time.sleep(0.05)
