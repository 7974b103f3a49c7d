"""Messages: the withdrawal event subprocess (rut_ho_so) interrupts open work; unexpected ones are refused."""

from __future__ import annotations

import pytest

from engine.errors import MessageNotExpected
from engine.models import WorkItem


def test_withdrawal_cancels_open_work_items(engine, tx, deploy, clock, operators) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    started = engine.start(session, process_key="ho_so_mau", business_key="HS-1", data={"han_tham_dinh": "x"})
    session.commit()
    [item] = started.opened
    result = engine.send_message(
        session, instance_id=started.instance_id, name="rut_ho_so", payload={"ly_do": "Công dân xin rút"}
    )
    session.commit()
    assert [i.id for i in result.closed] == [item.id] and result.opened == []
    assert result.status == "completed"
    assert session.get(WorkItem, item.id).state == "cancelled"
    assert operators.events() == ["DUNG_XU_LY"]
    assert result.data["rut"] == {"ly_do": "Công dân xin rút"}
    with pytest.raises(MessageNotExpected):
        engine.send_message(session, instance_id=started.instance_id, name="rut_ho_so", payload={})


def test_message_nobody_waits_for_is_refused_without_changes(engine, tx, deploy) -> None:
    session = tx()
    deploy(engine, session, "ho_so_mau.bpmn")
    started = engine.start(session, process_key="ho_so_mau", business_key="HS-1", data={})
    session.commit()
    with pytest.raises(MessageNotExpected) as refused:
        engine.send_message(session, instance_id=started.instance_id, name="bo_sung", payload={})
    assert refused.value.code == "message_not_expected"
    session.rollback()
    assert engine.instance_data(session, instance_id=started.instance_id).get("bo_sung") is None
