"""The reminder pass finds its subjects with one scan and sends them a batch per transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from tests.scheduler.assembly import Domain, vn
from tests.scheduler.conftest import complete, intake, open_item, set_due
from workflows.reminders import jobs
from workflows.reminders.models import ReminderSent


def late_inspections(domain: Domain, count: int) -> list[str]:
    """`count` karaoke dossiers whose site inspection (`chuyen_vien`) was due Monday 30/11/2026 at 09:00."""
    tasks = []
    for _ in range(count):
        code = intake(domain)
        complete(domain, "lanh_dao_phong", code, {"case_officer": "chuyen_vien"})
        task = open_item(domain, code).id
        set_due(domain, task, due_at=vn(2026, 11, 30, 9, 0), created_at=vn(2026, 11, 24, 9, 0))
        tasks.append(task)
    return tasks


def test_one_scan_serves_every_batch(domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = late_inspections(domain, 5)
    scans: list[int] = []
    real_scan = jobs.due_reminders

    def counted_scan(*args: Any, **kwargs: Any) -> list[jobs.DueReminder]:
        found = real_scan(*args, **kwargs)
        scans.append(len(found))
        return found

    monkeypatch.setattr(jobs, "due_reminders", counted_scan)
    commits: list[int] = []
    listener = lambda _connection: commits.append(1)  # noqa: E731 - a counter, nothing more
    event.listen(domain.db, "commit", listener)
    try:
        recorded = jobs.send_due_reminders(domain.db, services=domain.services, now=vn(2026, 11, 30, 10, 0),
                                           batch=2)
    finally:
        event.remove(domain.db, "commit", listener)

    with Session(domain.db) as session:
        sent = set(session.exec(select(ReminderSent.subject, ReminderSent.kind)).all())
    for task in tasks:  # each late step: its case officer and the division's head, once each
        assert {(f"task:{task}", "overdue"), (f"task:{task}", "escalation")} <= sent
    assert recorded == len(sent)
    # One scan found every subject (a scan per batch would have been three, each walking the late steps
    # again); the sending took a transaction per batch of two.
    assert len(scans) == 1 and scans[0] >= 5
    assert len(commits) == 1 + -(-scans[0] // 2)

    # Nothing is sent twice: the next pass finds nothing.
    assert jobs.send_due_reminders(domain.db, services=domain.services, now=vn(2026, 11, 30, 10, 5), batch=2) == 0
