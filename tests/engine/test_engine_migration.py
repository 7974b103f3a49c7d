"""Moving a running instance to another version (engine/migration.py over SpiffWorkflow's diff_workflow and
migrate_workflow): what is refused, and that a refusal writes nothing. The dossier-level walk over HTTP is
tests/http_api/test_instance_migration.py."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from engine.models import ProcessInstance, WorkItem

SUBPROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs" targetNamespace="x">
  <bpmn:process id="quy_trinh_con" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_mc" name="MOT_CUA"><bpmn:flowNodeRef>xu_ly</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>ben_trong</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="con"/>
    <bpmn:subProcess id="con" name="Quy trình con"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:startEvent id="con_start"><bpmn:outgoing>c1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:sequenceFlow id="c1" sourceRef="con_start" targetRef="ben_trong"/>
      <bpmn:userTask id="ben_trong" name="Bên trong">
        <bpmn:incoming>c1</bpmn:incoming><bpmn:outgoing>c2</bpmn:outgoing></bpmn:userTask>
      <bpmn:sequenceFlow id="c2" sourceRef="ben_trong" targetRef="con_end"/>
      <bpmn:endEvent id="con_end"><bpmn:incoming>c2</bpmn:incoming></bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="con" targetRef="xu_ly"/>
    <bpmn:userTask id="xu_ly" name="Xử lý">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="xu_ly" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>""".encode()


def _row(session, instance_id: int) -> ProcessInstance:  # type: ignore[no-untyped-def]
    return session.exec(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .execution_options(populate_existing=True)).one()


def test_a_waiting_timer_is_refused_and_nothing_is_written(engine, tx, bpmn, clock) -> None:  # type: ignore[no-untyped-def]
    with tx() as session:
        engine.deploy(session, content=bpmn("hen_gio.bpmn"), filename="hen_gio.bpmn")
        started = engine.start(session, process_key="hen_gio", business_key="HS-1",
                               data={"han": "2026-11-24T11:00:00+07:00"})
        v2 = bpmn("hen_gio.bpmn").replace(b'name="X\xe1\xbb\xad l\xc3\xbd"', 'name="Xử lý hồ sơ"'.encode(), 1)
        assert engine.deploy(session, content=v2, filename="hen_gio.bpmn").version == 2
        session.commit()
        before = _row(session, started.instance_id)
        definition_id, state, version = before.definition_id, before.state_json, before.version

        check = engine.migrate(session, instance_id=started.instance_id, to_version=2, mapping={})
        assert not check.movable
        assert [(p.code, p.element_id, p.element_name) for p in check.problems] == [
            ("timer", "cho_mot_gio", "Chờ 1 giờ")]
        after = _row(session, started.instance_id)
        assert (after.definition_id, after.state_json, after.version) == (definition_id, state, version)
        assert engine.migration_candidates(session, key="hen_gio", to_version=2) == [started.instance_id]

    clock.advance(timedelta(hours=1))
    with tx() as session:
        engine.fire_timers(session, instance_id=started.instance_id)
        session.commit()
        # At the step now, but its deadline and reminder timers wait on it: moving would restart them.
        check = engine.check_migration(session, instance_id=started.instance_id, to_version=2, mapping={})
        assert {(p.code, p.element_id) for p in check.problems} == {("timer", "nhac_lai"), ("timer", "het_han")}


def test_inside_a_subprocess_is_refused(engine, tx) -> None:  # type: ignore[no-untyped-def]
    with tx() as session:
        engine.deploy(session, content=SUBPROCESS, filename="con.bpmn")
        started = engine.start(session, process_key="quy_trinh_con", business_key="HS-2", data={})
        engine.deploy(session, content=SUBPROCESS.replace("Xử lý".encode(), "Xử lý tiếp".encode()),
                      filename="con.bpmn")
        session.commit()
        check = engine.check_migration(session, instance_id=started.instance_id, to_version=2, mapping={})
        assert [(p.code, p.element_id, p.element_name) for p in check.problems] == [
            ("subprocess", "con", "Quy trình con")]


def test_a_mapped_step_keeps_its_work_item(engine, tx, bpmn) -> None:  # type: ignore[no-untyped-def]
    with tx() as session:
        engine.deploy(session, content=bpmn("don_gian.bpmn"), filename="don_gian.bpmn")
        started = engine.start(session, process_key="don_gian", business_key="HS-3", data={"a": 1})
        [opened] = started.opened
        v2 = bpmn("don_gian.bpmn").replace(b'"xu_ly"', b'"tiep_nhan"').replace(b">xu_ly<", b">tiep_nhan<")
        engine.deploy(session, content=v2.replace("Xử lý".encode(), "Tiếp nhận".encode()), filename="don_gian.bpmn")
        session.commit()
        missing = engine.check_migration(session, instance_id=started.instance_id, to_version=2, mapping={})
        assert [(p.code, p.element_id) for p in missing.problems] == [("element_missing", "xu_ly")]

        moved = engine.migrate(session, instance_id=started.instance_id, to_version=2, mapping={"xu_ly": "tiep_nhan"})
        session.commit()
        assert moved.movable and moved.steps == (("xu_ly", "tiep_nhan"),)
        item = session.exec(select(WorkItem).where(WorkItem.instance_id == started.instance_id)
                            .execution_options(populate_existing=True)).one()
        assert (item.id, item.state, item.element_id, item.name) == (opened.id, "open", "tiep_nhan", "Tiếp nhận")
        done = engine.complete(session, work_item_id=item.id, data={}, actor="mc")
        session.commit()
        assert done.status == "completed" and done.data["a"] == 1
        assert engine.migration_candidates(session, key="don_gian", to_version=2) == []
