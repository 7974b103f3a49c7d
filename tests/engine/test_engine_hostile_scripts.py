"""Hostile BPMN expressions (issue 15 item 5): each ends as an incident naming its element, or a deploy refusal,
within bounded time, without growing this process; values that cannot be stored never reach the save."""

from __future__ import annotations

import resource
import time
from xml.sax.saxutils import escape

import pytest

from engine.errors import DefinitionInvalid

BPMN_NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn"'
)
# A single C-level call that would run for hours in the server process: 10**12 element comparisons.
ENDLESS_C_CALL = "x = [0] * 1000000\ny = [x] * 1000000\nn = y.count(list(x))"
MAX_SECONDS = 6.0  # the sandbox's wall is 3 s (2 s budget + 1 s grace); the rest is the worker's start on a busy box
MAX_GROWTH_KB = 100 * 1024


def script_process(key: str, script: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN_NS}>
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tinh_toan"/>
    <bpmn:scriptTask id="tinh_toan" name="Tính toán"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="tinh_toan" targetRef="end"/><bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def gateway_process(key: str, condition: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN_NS}>
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="re_nhanh"/>
    <bpmn:exclusiveGateway id="re_nhanh" name="Rẽ nhánh" default="f_khac"/>
    <bpmn:sequenceFlow id="f_dat" sourceRef="re_nhanh" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_khac" sourceRef="re_nhanh" targetRef="end"/><bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def timer_process(key: str, kind: str, expression: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN_NS}>
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="cho_han"/>
    <bpmn:intermediateCatchEvent id="cho_han" name="Chờ hạn">
      <bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expression)}</bpmn:{kind}>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="cho_han" targetRef="end"/><bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Bounded:
    """Time and peak-memory growth of this process around a block."""

    def __enter__(self) -> Bounded:
        self.rss = max_rss_kb()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.started
        self.growth_kb = max_rss_kb() - self.rss
        assert self.seconds < MAX_SECONDS, f"took {self.seconds:.1f} s"
        assert self.growth_kb < MAX_GROWTH_KB, f"this process grew by {self.growth_kb // 1024} MB"


def run_to_incident(engine, session, content: bytes, key: str):  # type: ignore[no-untyped-def]
    engine.deploy(session, content=content, filename=f"{key}.bpmn")
    session.commit()
    with Bounded():
        result = engine.start(session, process_key=key, business_key="HS-1", data={"ma_ho_so": "HS-1"})
        session.commit()
    assert result.status == "incident" and result.incident is not None, result
    return result.incident


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("x = 10 ** (10 ** 7)", "result too large: a power (bits) would have 30,000,000 (limit 100,000)"),
        ("x = 'a' * 10 ** 9", "result too large: a repeated sequence (items) would have 1,000,000,000"),
        ("x = 1 << 10 ** 9", "result too large: a shift (bits)"),
        ("s = 'ab'\nfor i in range(40):\n    s += s", "result too large: a concatenation (items)"),
        ("x = 'a'.ljust(10 ** 9)", "script exceeded its memory budget"),
        (ENDLESS_C_CALL, "script exceeded its time budget (3 s)"),
        ("def f(n):\n    return f(n + 1)\nx = f(0)", "script exceeded its recursion budget"),
    ],
)
def test_hostile_script_is_an_incident_naming_the_task(engine, tx, script, reason) -> None:
    incident = run_to_incident(engine, tx(), script_process("tinh_toan_lon", script), "tinh_toan_lon")
    assert incident.element_id == "tinh_toan"
    assert "ScriptBudgetExceeded" in incident.reason and reason in incident.reason, incident.reason


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("10 ** (10 ** 7) > ma_ho_so", "a power (bits)"),
        ("len('a' * 10 ** 9) > 0", "a repeated sequence (items)"),
        ("len('a'.ljust(10 ** 9)) > 0", "memory budget"),
    ],
)
def test_hostile_gateway_condition_is_an_incident_naming_the_gateway(engine, tx, condition, reason) -> None:
    incident = run_to_incident(engine, tx(), gateway_process("re_nhanh_lon", condition), "re_nhanh_lon")
    assert incident.element_id == "re_nhanh" and reason in incident.reason, incident


@pytest.mark.parametrize(
    ("kind", "expression", "reason"),
    [
        ("timeDuration", '"P" + str(10 ** (10 ** 7)) + "D"', "result too large: a power (bits)"),
        ("timeDate", "'2030-01-01' + 'x' * 10 ** 9", "result too large: a repeated sequence (items)"),
        ("timeDuration", "'P%dD' % len('a'.ljust(10 ** 9))", "script exceeded its memory budget"),
        ("timeCycle", "str([[0] * 1000000] * 1000000)", "script exceeded its"),
    ],
)
def test_hostile_timer_expression_is_refused_at_deploy(engine, tx, kind, expression, reason) -> None:
    with Bounded(), pytest.raises(DefinitionInvalid) as refused:
        engine.deploy(tx(), content=timer_process("cho_lon", kind, expression), filename="cho_lon.bpmn")
    [error] = refused.value.errors
    assert error["field"] == "cho_han", error
    assert error["message"].startswith(f"biểu thức {kind} lỗi: ScriptBudgetExceeded: ") and reason in error[
        "message"
    ], error


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("class A:\n    pass\nx = A()", "class statements are not allowed"),
        ("def g():\n    yield 1\nx = list(g())", "yield is not allowed"),
    ],
)
def test_class_and_generator_functions_are_refused_at_deploy(engine, tx, script, message) -> None:
    with pytest.raises(DefinitionInvalid) as refused:
        engine.deploy(tx(), content=script_process("lop", script), filename="lop.bpmn")
    [error] = refused.value.errors
    assert error["field"] == "tinh_toan" and message in error["message"], error


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        ("g = (i for i in range(3))", "'g' holds a generator"),
        ("s = {1, 2}", "'s' holds a set"),
        ("e = ValueError('x')", "'e' holds a ValueError"),
    ],
)
def test_values_that_cannot_be_stored_are_an_incident_not_a_500(engine, tx, script, kind) -> None:
    incident = run_to_incident(engine, tx(), script_process("du_lieu_la", script), "du_lieu_la")
    assert incident.element_id == "tinh_toan"
    expected = f"TypeError:task data must stay JSON: {kind} (sets, generators, objects cannot be stored)"
    assert expected in incident.reason, incident.reason


def test_functions_left_in_task_data_are_dropped_and_the_rest_is_kept(engine, tx) -> None:
    session = tx()
    script = "f = lambda v: v + 1\ndef g(v):\n    return v * 2\nket_qua = g(f(ma_so))"
    engine.deploy(session, content=script_process("ham", script), filename="ham.bpmn")
    result = engine.start(session, process_key="ham", business_key="HS-1", data={"ma_so": 20})
    session.commit()
    assert result.status == "completed" and result.data == {"ma_so": 20, "ket_qua": 42}


def test_scripts_still_compute_after_a_hostile_one(engine, tx) -> None:
    session = tx()
    run_to_incident(engine, session, script_process("lon", ENDLESS_C_CALL), "lon")
    script = "tong = sum([i * i for i in range(10)])\nten = ho_ten.upper()\nso = 2 ** 64"
    engine.deploy(session, content=script_process("thuong", script), filename="thuong.bpmn")
    result = engine.start(session, process_key="thuong", business_key="HS-2", data={"ho_ten": "Lê Thị Mai"})
    session.commit()
    assert result.status == "completed"
    assert result.data == {"ho_ten": "Lê Thị Mai", "tong": 285, "ten": "LÊ THỊ MAI", "so": 2**64}
