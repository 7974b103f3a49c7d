"""Running the multi-lane dossier process: work items, forms, assignee, round trips through the database."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from engine import Engine, StepResult
from engine.errors import ConcurrentModification, FormDataInvalid, WorkItemNotFound, WorkItemNotOpen
from engine.models import ProcessInstance, WorkItem
from workflows.core.clock import ManualClock

LANES = {
    "tiep_nhan": "MOT_CUA",
    "phan_cong": "LANH_DAO_PHONG",
    "tham_dinh": "CHUYEN_VIEN",
    "ky_duyet": "LANH_DAO_SO",
    "tra_ket_qua": "MOT_CUA",
}


def start(engine: Engine, session: Session, clock: ManualClock, code: str = "HS-001") -> StepResult:
    due = (clock.now() + timedelta(days=3)).isoformat()
    result = engine.start(
        session, process_key="ho_so_mau", business_key=code, data={"dossier_code": code, "han_tham_dinh": due}
    )
    session.commit()
    return result


def only_open(session: Session, instance_id: int) -> WorkItem:
    items = session.exec(
        select(WorkItem).where(WorkItem.instance_id == instance_id, WorkItem.state == "open")
    ).all()
    assert len(items) == 1, items
    return items[0]


def test_start_opens_first_work_item_with_form_and_title(deploy, engine, tx, clock, operators) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    result = start(engine, session, clock)
    assert result.status == "running" and result.version == 1 and result.process_key == "ho_so_mau"
    [item] = result.opened
    assert (item.element_id, item.lane, item.name) == ("tiep_nhan", "MOT_CUA", "Tiếp nhận hồ sơ")
    assert item.title == "Kiểm tra và tiếp nhận hồ sơ"
    assert item.form_schema is not None and item.form_schema["required"] == ["quyet_dinh"]
    assert result.data["dossier_code"] == "HS-001"
    row = session.exec(select(WorkItem).where(WorkItem.id == item.id)).one()
    assert row.state == "open" and row.business_key == "HS-001"
    # the instance row holds instance-only JSON: no spec inside
    instance = session.get(ProcessInstance, result.instance_id)
    assert instance is not None and "spec" not in json.loads(instance.state_json)
    assert operators.calls == []


def test_round_trip_after_every_step_to_the_end(deploy, make_engine, tx, clock, operators) -> None:
    """Every step runs in a fresh Engine (empty spec cache) on a fresh session, from the stored row only."""
    with tx() as session:
        deploy(make_engine(), session, "ho_so_mau.bpmn")
        result = start(make_engine(), session, clock)
    instance_id = result.instance_id
    forms = {
        "tiep_nhan": {"quyet_dinh": "tiep_nhan"},
        "phan_cong": {"case_officer": "cv.lan"},
        "tham_dinh": {"y_kien": "đạt"},
        "ky_duyet": {"ky": True},
        "tra_ket_qua": {},
    }
    seen = []
    for step in range(1, 6):
        with tx() as session:
            item = only_open(session, instance_id)
            seen.append(item.element_id)
            assert item.lane == LANES[item.element_id]
            version = session.get(ProcessInstance, instance_id).version  # type: ignore[union-attr]
            result = make_engine().complete(
                session,
                work_item_id=item.id,
                data=forms[item.element_id],
                actor=f"user{step}",
                expected_version=version,
            )
            session.commit()
        assert result.completed is not None and result.completed.id == item.id
        assert result.version == version + 1
        with tx() as session:
            done = session.get(WorkItem, item.id)
            assert done is not None and done.state == "completed" and done.completed_by == f"user{step}"
    assert seen == ["tiep_nhan", "phan_cong", "tham_dinh", "ky_duyet", "tra_ket_qua"]
    assert result.status == "completed" and result.opened == []
    assert operators.events() == ["TIEP_NHAN", "TRA_KET_QUA"]
    assert result.data["ghi_chu_phan_cong"] == "Giao cho cv.lan" and result.data["so_buoc"] == 2
    with tx() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.status == "completed" and instance.completed_at is not None
        assert instance.next_timer_at is None


def test_assignee_from_variable_and_operator_context(deploy, engine, tx, clock, operators) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    first = start(engine, session, clock)
    r1 = engine.complete(
        session, work_item_id=first.opened[0].id, data={"quyet_dinh": "tiep_nhan"}, actor="mc"
    )
    [(name, params, ctx)] = operators.calls
    assert (name, params) == ("zalo/notify", {"event": "TIEP_NHAN"})
    assert (ctx.instance_id, ctx.business_key, ctx.element_id, ctx.actor) == (
        first.instance_id,
        "HS-001",
        "bao_tiep_nhan",
        "mc",
    )
    assert ctx.now == clock.now() and ctx.data["quyet_dinh"] == "tiep_nhan"
    assert r1.data["thong_bao"] == {"queued": True, "event": "TIEP_NHAN"}  # operator result -> resultVariable
    r2 = engine.complete(session, work_item_id=r1.opened[0].id, data={"case_officer": "cv.binh"}, actor="ldp")
    session.commit()
    [item] = r2.opened
    assert (item.element_id, item.assignee) == ("tham_dinh", "cv.binh")
    assert session.get(WorkItem, item.id).assignee == "cv.binh"  # type: ignore[union-attr]
    assert engine.instance_data(session, instance_id=first.instance_id)["case_officer"] == "cv.binh"


def test_form_data_is_validated_against_the_schema(deploy, engine, tx, clock) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    first = start(engine, session, clock)
    item_id = first.opened[0].id
    with pytest.raises(FormDataInvalid) as missing:
        engine.complete(session, work_item_id=item_id, data={}, actor="mc")
    assert missing.value.errors[0]["field"] == "quyet_dinh"
    with pytest.raises(FormDataInvalid) as wrong:
        engine.complete(session, work_item_id=item_id, data={"quyet_dinh": "co_le", "ghi_chu": 5}, actor="mc")
    assert {e["field"] for e in wrong.value.errors} == {"quyet_dinh", "ghi_chu"}
    session.rollback()
    assert session.get(WorkItem, item_id).state == "open"  # type: ignore[union-attr]


def test_refusal_path_completes_and_closed_items_cannot_be_completed(
    deploy, engine, tx, clock, operators
) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    first = start(engine, session, clock)
    item_id = first.opened[0].id
    result = engine.complete(session, work_item_id=item_id, data={"quyet_dinh": "tu_choi"}, actor="mc")
    session.commit()
    assert result.status == "completed" and operators.events() == ["KHONG_TIEP_NHAN"]
    with pytest.raises(WorkItemNotOpen):
        engine.complete(session, work_item_id=item_id, data={"quyet_dinh": "tu_choi"}, actor="mc")
    with pytest.raises(WorkItemNotFound):
        engine.complete(session, work_item_id="00000000-0000-0000-0000-000000000000", data={}, actor="mc")


def test_stale_expected_version_is_refused(deploy, engine, tx, clock) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    first = start(engine, session, clock)
    with pytest.raises(ConcurrentModification):
        engine.complete(
            session,
            work_item_id=first.opened[0].id,
            data={"quyet_dinh": "tiep_nhan"},
            actor="mc",
            expected_version=first.version - 1,
        )


def test_operator_context_holds_the_deciding_forms_own_submission(deploy, engine, tx, clock, operators) -> None:
    # Task data is inherited along the path; `form` is only what the user task that led here submitted,
    # so an operator reads what this round decided, not a field left by an earlier round or another form.
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    first = start(engine, session, clock)
    engine.complete(session, work_item_id=first.opened[0].id,
                    data={"quyet_dinh": "tiep_nhan", "ghi_chu": "Đủ giấy tờ"}, actor="mc")
    [(_, _, ctx)] = operators.calls
    assert (ctx.form, ctx.form_step) == ({"quyet_dinh": "tiep_nhan", "ghi_chu": "Đủ giấy tờ"}, "tiep_nhan")
    inherited = set(ctx.data) - set(ctx.form) - {"_form"}
    assert inherited, ctx.data  # the start data is in `data`, not in `form`
