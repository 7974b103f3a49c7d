"""Timers follow the injected clock: timeDuration, timeCycle, timeDate; next_timer_at; fire_timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from engine.models import ProcessInstance, WorkItem
from engine.store import as_utc

START = {"han": "2026-11-24T11:00:00+07:00"}  # = 04:00 UTC; the clock starts at 02:00 UTC


def fire(engine, tx, instance_id: int):
    with tx() as session:
        due = engine.due_timer_instance_ids(session)
        result = engine.fire_timers(session, instance_id=instance_id)
        session.commit()
        row = session.get(ProcessInstance, instance_id)
        return due, result, as_utc(row.next_timer_at)


def test_timers_fire_only_when_the_clock_says_so(engine, tx, deploy, clock, operators) -> None:
    with tx() as session:
        deploy(engine, session, "hen_gio.bpmn")
        started = engine.start(session, process_key="hen_gio", business_key="HS-1", data=START)
        session.commit()
        row = session.get(ProcessInstance, started.instance_id)
        assert started.status == "waiting" and started.opened == []
        assert as_utc(row.next_timer_at) == clock.now() + timedelta(hours=1)
    iid = started.instance_id

    clock.advance(timedelta(minutes=59))
    due, result, _ = fire(engine, tx, iid)
    assert due == [] and result is None  # not due: nothing loaded, nothing changed

    clock.advance(timedelta(minutes=1))  # exactly due
    due, result, next_at = fire(engine, tx, iid)
    assert due == [iid] and result.status == "running"
    assert [i.element_id for i in result.opened] == ["xu_ly"]
    assert next_at == datetime(2026, 11, 24, 3, 10, tzinfo=UTC)  # first reminder of the R2/PT10M cycle

    for minute in (10, 20):
        clock.set(datetime(2026, 11, 24, 3, minute, tzinfo=UTC))
        _, result, next_at = fire(engine, tx, iid)
        assert result.status == "running" and result.opened == []
    assert operators.events() == ["NHAC", "NHAC"]  # the cycle ran twice and stopped
    assert next_at == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # the timeDate deadline remains

    clock.set(datetime(2026, 11, 24, 4, 0, tzinfo=UTC))
    _, result, next_at = fire(engine, tx, iid)
    assert [i.element_id for i in result.closed] == ["xu_ly"]  # interrupting deadline cancelled the task
    assert [i.element_id for i in result.opened] == ["qua_han"] and next_at is None
    with tx() as session:
        assert session.get(WorkItem, result.closed[0].id).state == "cancelled"
        done = engine.complete(session, work_item_id=result.opened[0].id, data={}, actor="cv")
        assert done.status == "completed"


def test_fire_timers_ignores_instances_that_are_not_due_or_finished(engine, tx, deploy, clock) -> None:
    with tx() as session:
        deploy(engine, session, "hen_gio.bpmn")
        started = engine.start(session, process_key="hen_gio", business_key="HS-1", data=START)
        engine.cancel(session, instance_id=started.instance_id, actor="admin", reason="rút")
        session.commit()
    clock.advance(timedelta(hours=2))
    due, result, next_at = fire(engine, tx, started.instance_id)
    assert due == [] and result is None and next_at is None


def test_reminder_timer_on_the_multilane_process(engine, tx, deploy, clock, operators) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    due = clock.now() + timedelta(days=3)
    started = engine.start(
        session, process_key="ho_so_mau", business_key="HS-1", data={"han_tham_dinh": due.isoformat()}
    )
    step = engine.complete(
        session, work_item_id=started.opened[0].id, data={"quyet_dinh": "tiep_nhan"}, actor="a"
    )
    step = engine.complete(session, work_item_id=step.opened[0].id, data={"case_officer": "cv"}, actor="b")
    session.commit()
    assert as_utc(session.get(ProcessInstance, step.instance_id).next_timer_at) == due
    clock.set(due)
    assert engine.due_timer_instance_ids(session) == [step.instance_id]
    fired = engine.fire_timers(session, instance_id=step.instance_id)
    session.commit()
    assert fired.status == "running" and fired.opened == [] and fired.closed == []  # tham_dinh stays open
    assert operators.events() == ["TIEP_NHAN", "NHAC_HAN"]
    assert engine.due_timer_instance_ids(session) == []


def test_fire_timers_skips_a_row_locked_by_another_worker(engine, tx, deploy, clock, backend) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE; there is no row lock to skip")
    with tx() as session:
        deploy(engine, session, "hen_gio.bpmn")
        started = engine.start(session, process_key="hen_gio", business_key="HS-1", data=START)
        session.commit()
    clock.advance(timedelta(hours=1))
    holder = tx()
    holder.exec(
        select(ProcessInstance).where(ProcessInstance.id == started.instance_id).with_for_update()
    ).one()
    with tx() as session:
        assert engine.fire_timers(session, instance_id=started.instance_id) is None
    holder.rollback()
    with tx() as session:
        assert engine.fire_timers(session, instance_id=started.instance_id).status == "running"
