"""Deploying BPMN: validation errors naming the element, versioning by content, the spec cache."""

from __future__ import annotations

import pytest

from engine.errors import DefinitionInvalid, DefinitionNotFound
from engine.models import ProcessDefinition


def errors_of(engine, session, bpmn, name: str) -> list[dict]:
    with pytest.raises(DefinitionInvalid) as refused:
        engine.deploy(session, content=bpmn(name), filename=name)
    assert refused.value.code == "bpmn_invalid"
    assert engine.validate(bpmn(name), filename=name) == refused.value.errors
    return refused.value.errors


def by_field(errors: list[dict]) -> dict[str, dict]:
    return {e["field"]: e for e in errors}


def test_valid_definition_deploys_and_versions_by_content(engine, tx, bpmn, clock) -> None:
    session = tx()
    assert engine.validate(bpmn("don_gian.bpmn"), filename="don_gian.bpmn") == []
    first = engine.deploy(session, content=bpmn("don_gian.bpmn"), filename="don_gian.bpmn")
    assert (first.key, first.version, first.created) == ("don_gian", 1, True)
    assert first.deployed_at == clock.now()
    again = engine.deploy(session, content=bpmn("don_gian.bpmn"), filename="don_gian.bpmn")
    assert (again.definition_id, again.version, again.created) == (first.definition_id, 1, False)
    changed = bpmn("don_gian.bpmn").replace("Xử lý".encode(), "Xử lý hồ sơ".encode())
    second = engine.deploy(session, content=changed, filename="don_gian.bpmn")
    session.commit()
    assert (second.version, second.created) == (2, True) and second.sha256 != first.sha256
    assert [(d.key, d.version) for d in engine.definitions(session)] == [("don_gian", 1), ("don_gian", 2)]
    assert "Xử lý hồ sơ" in engine.definition_xml(session, key="don_gian", version=2)
    assert "Xử lý hồ sơ" not in engine.definition_xml(session, key="don_gian", version=1)
    with pytest.raises(DefinitionNotFound):
        engine.definition_xml(session, key="don_gian", version=3)


def test_running_instances_stay_on_their_version(engine, tx, bpmn) -> None:
    session = tx()
    engine.deploy(session, content=bpmn("don_gian.bpmn"), filename="don_gian.bpmn")
    old = engine.start(session, process_key="don_gian", business_key="HS-1", data={})
    changed = bpmn("don_gian.bpmn").replace("Xử lý".encode(), "Xử lý mới".encode())
    engine.deploy(session, content=changed, filename="don_gian.bpmn")
    new = engine.start(session, process_key="don_gian", business_key="HS-2", data={})
    pinned = engine.start(session, process_key="don_gian", business_key="HS-3", data={}, version=1)
    session.commit()
    assert [old.opened[0].name, new.opened[0].name, pinned.opened[0].name] == ["Xử lý", "Xử lý mới", "Xử lý"]
    done = engine.complete(session, work_item_id=old.opened[0].id, data={}, actor="mc")
    assert done.status == "completed"
    with pytest.raises(DefinitionNotFound):
        engine.start(session, process_key="khong_co", business_key="HS-4", data={})


def test_stored_spec_json_round_trips_without_reparsing(engine, tx, bpmn) -> None:
    session = tx()
    result = engine.deploy(session, content=bpmn("ho_so_mau.bpmn"), filename="ho_so_mau.bpmn")
    row = session.get(ProcessDefinition, result.definition_id)
    assert (
        row is not None and '"ho_so_mau"' in row.spec_json and "ClockTimeDateEventDefinition" in row.spec_json
    )


def test_malformed_xml(engine, tx, bpmn) -> None:
    [error] = errors_of(engine, tx(), bpmn, "loi_xml.bpmn")
    assert error["field"] == "xml" and error["line"] == 5 and "không đúng cú pháp" in error["message"]


def test_schema_violation_names_the_element(engine, tx, bpmn) -> None:
    content = bpmn("don_gian.bpmn").replace(
        b'<bpmn:userTask id="xu_ly"', b'<bpmn:userTask id="xu_ly" bogus="1"'
    )
    with pytest.raises(DefinitionInvalid) as refused:
        engine.deploy(tx(), content=content, filename="x.bpmn")
    [error] = refused.value.errors
    assert error["field"] == "xu_ly" and error["line"] == 7 and "bogus" in error["message"]


def test_unknown_operator_and_missing_parameter(engine, tx, bpmn) -> None:
    errors = by_field(errors_of(engine, tx(), bpmn, "loi_operator.bpmn"))
    assert set(errors) == {"gui_sms", "bao_zalo"}
    assert "sms/send" in errors["gui_sms"]["message"] and errors["gui_sms"]["line"] == 6
    assert "cần tham số: event" in errors["bao_zalo"]["message"]


def test_user_task_outside_a_lane(engine, tx, bpmn) -> None:
    [error] = errors_of(engine, tx(), bpmn, "loi_lane.bpmn")
    assert (error["field"], error["line"]) == ("mo_coi", 9) and "không nằm trong làn" in error["message"]


def test_bad_timers(engine, tx, bpmn) -> None:
    errors = by_field(errors_of(engine, tx(), bpmn, "loi_timer.bpmn"))
    assert set(errors) == {"cho_khong_ngoac", "cho_ngay_lam_viec"}  # the variable timer `han_xu_ly` is fine
    assert "trong dấu nháy" in errors["cho_khong_ngoac"]["message"]
    assert "P3WD" in errors["cho_ngay_lam_viec"]["message"]


def test_forbidden_scripts_and_broken_conditions(engine, tx, bpmn) -> None:
    errors = by_field(errors_of(engine, tx(), bpmn, "loi_script.bpmn"))
    assert set(errors) == {"nhap_os", "leo_lop", "mo_tep", "f5"}
    assert "__import__" in errors["nhap_os"]["message"]
    assert "__subclasses__" in errors["leo_lop"]["message"]
    assert "'open' is not allowed" in errors["mo_tep"]["message"]
    assert "SyntaxError" in errors["f5"]["message"] and errors["f5"]["line"] == 23


def test_invalid_form_schema_is_refused(engine, tx, bpmn) -> None:
    content = bpmn("ho_so_mau.bpmn").replace(b"&quot;minLength&quot;: 1", b"&quot;minLength&quot;: -1")
    with pytest.raises(DefinitionInvalid) as refused:
        engine.deploy(tx(), content=content, filename="x.bpmn")
    [error] = refused.value.errors
    assert error["field"] == "phan_cong" and "formJsonSchema" in error["message"]


def test_two_top_level_processes_are_ambiguous(engine, tx, bpmn) -> None:
    content = bpmn("don_gian.bpmn").decode()
    second = content[content.index("<bpmn:process") : content.index("</bpmn:definitions>")]
    second = (
        second.replace('id="don_gian"', 'id="khac"').replace('id="', 'id="k_').replace('Ref="', 'Ref="k_')
    )
    second = second.replace("<bpmn:flowNodeRef>", "<bpmn:flowNodeRef>k_").replace(
        "<bpmn:incoming>", "<bpmn:incoming>k_"
    )
    second = second.replace("<bpmn:outgoing>", "<bpmn:outgoing>k_")
    doubled = content.replace("</bpmn:definitions>", second + "</bpmn:definitions>").encode()
    with pytest.raises(DefinitionInvalid) as refused:
        engine.deploy(tx(), content=doubled, filename="x.bpmn")
    assert "cần đúng một quy trình thực thi" in refused.value.errors[0]["message"]
