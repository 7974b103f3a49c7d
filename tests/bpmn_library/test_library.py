"""Static rules of the BPMN library (docs/BPMN_CONVENTIONS.md): parse, lanes, forms, operators, joins."""

from __future__ import annotations

import ast
import importlib
import json
from datetime import UTC, datetime

import jsonschema
import pytest
from lxml import etree

from .spiff_driver import BPMN_DIR, PROCESSES, parse

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
ROLES = {"MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN", "LANH_DAO_SO", "VAN_THU", "GIAM_SAT", "QUAN_TRI"}
STEP_ROLE = {
    "tiep_nhan": "MOT_CUA", "nhan_bo_sung": "MOT_CUA", "phan_cong": "LANH_DAO_PHONG",
    "kiem_tra_thuc_te": "CHUYEN_VIEN", "tham_dinh": "CHUYEN_VIEN", "thu_phi": "MOT_CUA",
    "xem_xet": "LANH_DAO_PHONG", "ky_duyet": "LANH_DAO_SO", "phat_hanh": "VAN_THU", "tra_ket_qua": "MOT_CUA",
}
STATUSES = {
    "MOI_DANG_KY", "DA_TIEP_NHAN", "KHONG_TIEP_NHAN", "CHO_PHAN_CONG", "DANG_THAM_DINH", "KIEM_TRA_THUC_TE",
    "CHO_XEM_XET", "CHO_KY_DUYET", "CHO_PHAT_HANH", "CHO_BO_SUNG", "CHO_NGHIA_VU_TAI_CHINH", "YEU_CAU_RUT",
    "DUNG_XU_LY", "TU_CHOI_GIAI_QUYET", "DA_XU_LY_XONG", "DA_TRA_KET_QUA",
}
EVENTS = {
    "TIEP_NHAN", "KHONG_TIEP_NHAN", "BO_SUNG", "PHAN_CONG", "THAM_DINH", "NGHIA_VU_TAI_CHINH", "KY_DUYET",
    "DA_CO_KET_QUA", "TRA_KET_QUA", "TU_CHOI", "DUNG_XU_LY",
}
# operator -> (required parameter, allowed literal values, optional parameters)
OPERATORS = {
    "dossier/status": ("status", STATUSES, {"note"}),
    "zalo/notify": ("event", EVENTS, set()),
    "documents/render": ("form", {f"MAU_0{i}" for i in range(1, 8)}, set()),
    "documents/sign": ("document", {"KET_QUA"}, set()),
}


@pytest.fixture(scope="module", params=sorted(PROCESSES))
def process(request):
    return request.param


@pytest.fixture(scope="module")
def spec(process):
    return parse(process)[0]


@pytest.fixture(scope="module")
def xml(process):
    return etree.parse(str(BPMN_DIR / PROCESSES[process]))


def user_tasks(spec):
    return [ts for ts in spec.task_specs.values() if ts.manual]


def form_of(ts):
    return json.loads(ts.extensions["properties"]["formJsonSchema"])


def test_parses_with_schema_validation_and_has_one_process(spec, process, xml):
    assert spec.name == process
    assert [p.get("id") for p in xml.findall("bpmn:process", NS)] == [process]
    ids = [el.get("id") for el in xml.iter()
           if isinstance(el.tag, str) and el.get("id") and "spiffworkflow" not in el.tag]
    assert len(ids) == len(set(ids))


def test_user_tasks_are_step_keys_in_role_lanes(spec, process):
    steps = {ts.name: ts for ts in user_tasks(spec)}
    expected = set(STEP_ROLE) - ({"kiem_tra_thuc_te"} if process == "mot_cua_chuan" else set())
    assert set(steps) == expected
    for name, ts in steps.items():
        assert ts.lane in ROLES
        assert ts.lane == STEP_ROLE[name], name
        assert ts.bpmn_name and not ts.bpmn_name.isascii(), f"{name} needs a Vietnamese name"


def test_forms_are_json_schemas_with_vietnamese_titles(spec):
    for ts in user_tasks(spec):
        schema = form_of(ts)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert not schema["title"].isascii()
        assert set(schema["required"]) <= set(schema["properties"])
        for field, prop in schema["properties"].items():
            assert prop.get("title") and not prop["title"].isascii(), f"{ts.name}.{field}"
            if "enum" in prop:
                assert [o["const"] for o in prop["oneOf"]] == prop["enum"]
                assert all(o["title"] for o in prop["oneOf"])


@pytest.mark.parametrize(
    ("step", "form", "valid"),
    [
        ("tiep_nhan", {"quyet_dinh": "tiep_nhan"}, True),
        ("tiep_nhan", {"quyet_dinh": "tu_choi"}, False),
        ("tiep_nhan", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu"}, False),
        ("tiep_nhan", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu", "giay_to_thieu": ["Tờ khai"]}, True),
        ("tiep_nhan", {"quyet_dinh": "dong_y"}, False),
        ("tiep_nhan", {"quyet_dinh": "tiep_nhan", "cccd": "001099000001"}, False),
        ("phan_cong", {"ghi_chu": "gấp"}, False),
        ("phan_cong", {"case_officer": "cv.tran"}, True),
        ("tham_dinh", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu"}, False),
        ("tham_dinh", {"quyet_dinh": "tu_choi", "ly_do": "Không đủ điều kiện"}, True),
        ("tham_dinh", {"quyet_dinh": "bo_sung", "ly_do": "Lần 2", "noi_dung_bo_sung": "Bản vẽ",
                       "ly_do_bo_sung_lan_2": "Phát sinh yêu cầu của cơ quan phối hợp"}, True),
        ("nhan_bo_sung", {"da_bo_sung": False}, False),
        ("thu_phi", {"da_nop": True}, False),
        ("xem_xet", {"quyet_dinh": "tra_lai"}, False),
        ("ky_duyet", {"quyet_dinh": "tra_lai", "y_kien": "Sửa"}, True),
        ("phat_hanh", {"ngay_ban_hanh": "2025-01-06"}, False),
        ("tra_ket_qua", {"hinh_thuc_tra": "email"}, False),
    ],
)
def test_form_rules(step, form, valid):
    ts = parse("mot_cua_chuan")[0].task_specs[step]
    errors = list(jsonschema.Draft202012Validator(form_of(ts)).iter_errors(form))
    assert (not errors) is valid, [e.message for e in errors]


def test_appraisal_steps_go_to_the_assigned_case_officer(spec):
    for ts in user_tasks(spec):
        assignee = ts.extensions["properties"].get("assigneeVariable")
        if ts.name in ("tham_dinh", "kiem_tra_thuc_te"):
            assert assignee == "case_officer"
        else:
            assert assignee is None, ts.name
    assert "case_officer" in form_of(spec.task_specs["phan_cong"])["required"]


def test_service_tasks_call_registered_operators_with_literal_params(spec):
    seen = set()
    for ts in spec.task_specs.values():
        if not hasattr(ts, "operation_name"):
            continue
        assert ts.operation_name in OPERATORS, ts.name
        required, allowed, optional = OPERATORS[ts.operation_name]
        assert required in ts.operation_params, ts.name
        assert set(ts.operation_params) <= {required} | optional, ts.name
        for param in ts.operation_params.values():
            assert param["type"] == "str"
        value = ast.literal_eval(ts.operation_params[required]["value"])
        assert value in allowed, f"{ts.name}: {value}"
        seen.add(value)
    assert {"MAU_01", "MAU_02", "MAU_03", "MAU_05"} <= seen


def test_every_join_is_an_exclusive_merge_gateway(xml):
    """T14: a task or event never has two incoming flows; a merge gateway stands in front of it."""
    process = xml.find("bpmn:process", NS)
    targets = [f.get("targetRef") for f in process.findall("bpmn:sequenceFlow", NS)]
    kinds = {el.get("id"): etree.QName(el).localname for el in process}
    joins = {t for t in targets if targets.count(t) > 1}
    assert joins, "the processes have loops, so they must have joins"
    assert {kinds[t] for t in joins} == {"exclusiveGateway"}


def test_withdrawal_message_interrupts_every_step_before_issue(spec, xml):
    process = xml.find("bpmn:process", NS)
    message_id = xml.find("bpmn:message[@name='rut_ho_so']", NS).get("id")
    attached = set()
    for be in process.findall("bpmn:boundaryEvent", NS):
        assert be.get("cancelActivity") == "true"
        assert be.find("bpmn:messageEventDefinition", NS).get("messageRef") == message_id
        attached.add(be.get("attachedToRef"))
    steps = {ts.name for ts in user_tasks(spec)}
    assert attached == steps - {"phat_hanh", "tra_ket_qua"}


def test_engine_validate_accepts_the_library():
    engine_module = importlib.import_module("engine")
    registry = engine_module.OperatorRegistry()
    for name, (required, _, _) in OPERATORS.items():
        registry.register(name, lambda *args, **kwargs: None, required_params={required})
    engine = engine_module.Engine(operators=registry, now=lambda: datetime(2025, 1, 2, 3, 0, tzinfo=UTC))
    for filename in PROCESSES.values():
        assert engine.validate((BPMN_DIR / filename).read_bytes(), filename=filename) == []
