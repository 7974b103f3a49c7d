"""Failures become incidents (no 500, no silent stop): operators, scripts, gateways, loops; retry; cancel."""

from __future__ import annotations

import pytest
from sqlmodel import select

from engine.errors import IncidentNotOpen, InstanceInIncident
from engine.models import Incident, ProcessInstance, WorkItem


def side_effect_rows(session) -> int:
    return len(session.exec(select(Incident).where(Incident.element_id == "operator_row")).all())


def test_failing_operator_commits_the_user_step_and_retry_resumes(engine, tx, deploy, operators) -> None:
    with tx() as session:
        deploy(engine, session, "dich_vu.bpmn")
        started = engine.start(session, process_key="dich_vu", business_key="HS-9", data={"ma_ho_so": "HS-9"})
        session.commit()
    with tx() as session:
        result = engine.complete(
            session, work_item_id=started.opened[0].id, data={"ghi_chu": "ok"}, actor="mc"
        )
        session.commit()
    assert result.status == "incident" and result.completed is not None
    assert result.incident is not None and result.incident.element_id == "goi"
    assert "test/flaky" in result.incident.reason and "dịch vụ tạm thời" in result.incident.reason
    with tx() as session:
        assert session.get(WorkItem, started.opened[0].id).state == "completed"  # type: ignore[union-attr]
        assert session.get(ProcessInstance, result.instance_id).status == "incident"  # type: ignore[union-attr]
        assert side_effect_rows(session) == 0  # the savepoint dropped the failing operator's row
        again = engine.retry_incident(session, incident_id=result.incident.id, actor="admin")
        session.commit()
    assert (
        again.status == "incident" and again.incident is not None and again.incident.id != result.incident.id
    )
    operators.flaky_fails = False
    with tx() as session:
        fixed = engine.retry_incident(session, incident_id=again.incident.id, actor="admin")
        session.commit()
        assert fixed.status == "running" and [i.element_id for i in fixed.opened] == ["duyet"]
        assert side_effect_rows(session) == 1
        assert [p["ma"] for n, p, _ in operators.calls] == ["HS-9", "HS-9", "HS-9"]
        incidents = session.exec(select(Incident).where(Incident.element_id == "goi")).all()
        assert [(i.resolved_by is not None) for i in incidents] == [True, True]
        with pytest.raises(IncidentNotOpen):
            engine.retry_incident(session, incident_id=result.incident.id, actor="admin")
        done = engine.complete(session, work_item_id=fixed.opened[0].id, data={}, actor="mc")
        assert done.status == "completed" and done.data["ket_qua"] is None


def test_open_work_items_are_locked_while_in_incident(engine, tx, deploy) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    started = engine.start(session, process_key="ho_so_mau", business_key="HS-1", data={})  # no han_tham_dinh
    step = engine.complete(
        session, work_item_id=started.opened[0].id, data={"quyet_dinh": "tiep_nhan"}, actor="a"
    )
    broken = engine.complete(session, work_item_id=step.opened[0].id, data={"case_officer": "cv"}, actor="b")
    session.commit()
    assert broken.status == "incident" and broken.incident.element_id == "han_tham_dinh_event"  # type: ignore[union-attr]
    assert "han_tham_dinh" in broken.incident.reason  # type: ignore[union-attr]
    [item] = broken.opened
    with pytest.raises(InstanceInIncident):
        engine.complete(session, work_item_id=item.id, data={}, actor="cv")
    cancelled = engine.cancel(session, instance_id=broken.instance_id, actor="admin", reason="sai dữ liệu")
    session.commit()
    assert cancelled.status == "cancelled" and [i.id for i in cancelled.closed] == [item.id]
    assert session.get(WorkItem, item.id).state == "cancelled"  # type: ignore[union-attr]
    assert session.get(Incident, broken.incident.id).resolved_by == "admin"  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "reason"), [("vo_han", "loop iterations"), ("thoat_format", "format")])
def test_runaway_and_escaping_scripts_end_as_incidents(engine, tx, deploy, name, reason) -> None:
    session = tx()
    deploy(engine, session, f"{name}.bpmn")
    result = engine.start(session, process_key=name, business_key="HS-1", data={"ma_ho_so": "HS-1"})
    session.commit()
    assert result.status == "incident" and result.incident is not None
    assert result.incident.element_id == "chay" and reason in result.incident.reason
    assert "leak" not in result.data


def test_gateway_expression_error_is_an_incident(engine, tx, deploy) -> None:
    session = tx()
    deploy(engine, session, "vong_lap.bpmn")
    started = engine.start(session, process_key="vong_lap", business_key="HS-1", data={"so_vong": 0})
    result = engine.complete(session, work_item_id=started.opened[0].id, data={}, actor="cv")  # no lap_lai
    session.commit()
    assert result.status == "incident" and result.incident.element_id == "gw"  # type: ignore[union-attr]
    assert "lap_lai" in result.incident.reason  # type: ignore[union-attr]


def loop_until_stopped(engine, session, item_id: str, rounds: int):
    result = None
    for _ in range(rounds):
        result = engine.complete(session, work_item_id=item_id, data={"lap_lai": True}, actor="cv")
        session.commit()
        if result.status != "running":
            return result
        [item] = result.opened
        item_id = item.id
    return result


def test_back_edge_loop_stops_at_the_depth_bound_with_an_incident(make_engine, tx, deploy) -> None:
    engine = make_engine(max_task_depth=60)
    session = tx()
    deploy(engine, session, "vong_lap.bpmn")
    started = engine.start(session, process_key="vong_lap", business_key="HS-1", data={"so_vong": 0})
    result = loop_until_stopped(engine, session, started.opened[0].id, rounds=50)
    assert result.status == "incident" and "loop bound exceeded" in result.incident.reason
    assert 3 < result.data.get("so_vong", 0) < 20
    stored = session.get(ProcessInstance, result.instance_id)
    assert stored is not None and stored.status == "incident" and stored.completed_at is None


def test_back_edge_loop_within_the_bound_completes(engine, tx, deploy) -> None:
    session = tx()
    deploy(engine, session, "vong_lap.bpmn")
    started = engine.start(session, process_key="vong_lap", business_key="HS-1", data={"so_vong": 0})
    looping = loop_until_stopped(engine, session, started.opened[0].id, rounds=20)
    assert looping.status == "running"
    done = engine.complete(session, work_item_id=looping.opened[0].id, data={"lap_lai": False}, actor="cv")
    assert done.status == "completed" and done.data["so_vong"] == 21
