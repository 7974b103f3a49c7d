"""Two officials complete the same work item at once: exactly one wins, the instance stays intact."""

from __future__ import annotations

import threading
import time

from sqlmodel import Session, select

from engine import Engine, OperatorRegistry
from engine.errors import ConcurrentModification, WorkItemNotOpen
from engine.models import ProcessInstance, WorkItem


def test_concurrent_complete_has_one_winner(db, clock, bpmn) -> None:
    calls: list[str] = []

    def slow_notify(ctx, params):
        time.sleep(0.2)  # both transactions are inside the engine step at the same time
        calls.append(ctx.actor)
        return {"queued": True}

    registry = OperatorRegistry()
    registry.register("zalo/notify", slow_notify, required_params={"event"})
    engine = Engine(operators=registry, now=clock.now)
    with Session(db) as session:
        engine.deploy(session, content=bpmn("ho_so_mau.bpmn"), filename="ho_so_mau.bpmn")
        started = engine.start(
            session,
            process_key="ho_so_mau",
            business_key="HS-1",
            data={"han_tham_dinh": "2030-01-01T00:00:00+07:00"},
        )
        session.commit()
    item_id = started.opened[0].id
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def official(name: str) -> None:
        with Session(db, expire_on_commit=False) as session:
            barrier.wait()
            try:
                result = engine.complete(
                    session, work_item_id=item_id, data={"quyet_dinh": "tiep_nhan"}, actor=name
                )
                session.commit()
                outcomes[name] = result
            except (ConcurrentModification, WorkItemNotOpen) as exc:
                session.rollback()
                outcomes[name] = exc

    threads = [threading.Thread(target=official, args=(n,)) for n in ("mc.an", "mc.binh")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [n for n, o in outcomes.items() if not isinstance(o, Exception)]
    losers = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    with Session(db) as session:
        instance = session.get(ProcessInstance, started.instance_id)
        assert instance is not None and instance.version == started.version + 1
        done = session.get(WorkItem, item_id)
        assert done is not None and done.state == "completed" and done.completed_by == winners[0]
        open_items = session.exec(
            select(WorkItem).where(WorkItem.instance_id == started.instance_id, WorkItem.state == "open")
        ).all()
        assert [i.element_id for i in open_items] == ["phan_cong"]
        # the stored state continues normally
        nxt = engine.complete(
            session, work_item_id=open_items[0].id, data={"case_officer": "cv"}, actor="ldp"
        )
        assert nxt.status == "running" and [i.element_id for i in nxt.opened] == ["tham_dinh"]
    # PostgreSQL: both ran the step; the loser's versioned UPDATE matched nothing (ConcurrentModification).
    # SQLite: BEGIN IMMEDIATE made the loser wait, then it saw the item completed (WorkItemNotOpen).
    assert winners[0] in calls
