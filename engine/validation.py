"""Deploy-time validation: XML, XSD, Spiff parse, our rules (lanes, operators, forms, scripts, timers)."""

from __future__ import annotations

import ast
import functools
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.operators import OperatorRegistry
from engine.sandbox import Sandbox
from engine.spiff import parse_cycle, use_engine_clock

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

# (xpath, mode, take text or attribute)
_CODE_NODES: list[tuple[str, str, str | None]] = [
    ("//bpmn:scriptTask/bpmn:script", "exec", None),
    ("//spiffworkflow:preScript", "exec", None),
    ("//spiffworkflow:postScript", "exec", None),
    ("//bpmn:conditionExpression", "eval", None),
    ("//bpmn:conditionalEventDefinition/bpmn:condition", "eval", None),
    ("//bpmn:loopCondition", "eval", None),
    ("//bpmn:completionCondition", "eval", None),
    ("//spiffworkflow:messagePayload", "eval", None),
    ("//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression", "eval", None),
    ("//spiffworkflow:parameter", "eval", "value"),
]
_TIMERS = {"timeDate", "timeDuration", "timeCycle"}
_UNQUOTED_ISO = re.compile(r"^(R\d*/.*|P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}.*)$", re.IGNORECASE)


@dataclass
class ParsedDefinition:
    key: str
    spec: Any
    subprocess_specs: dict[str, Any]
    interrupting: list[str]  # event subprocesses whose start event interrupts the process


def _error(field: str | None, line: int | None, message: str) -> dict[str, Any]:
    return {"field": field or "xml", "line": line, "message": message}


class DefinitionValidator:
    """Validates BPMN bytes and parses them into specs. Built once per Engine."""

    def __init__(
        self, *, operators: OperatorRegistry, sandbox: Sandbox, lanes: frozenset[str] | None = None
    ) -> None:
        """`lanes`: the lane names a user task may sit in (the application's roles); None accepts any."""
        self.operators = operators
        self.sandbox = sandbox
        self.lanes = lanes
        self._lock = threading.Lock()  # the shared lxml XMLSchema keeps its error log on the object

    def parse(
        self, content: bytes, *, filename: str, now: datetime
    ) -> tuple[list[dict[str, Any]], ParsedDefinition | None]:
        try:
            root = etree.fromstring(content, _xml_parser())
        except etree.XMLSyntaxError as exc:
            return [_error("xml", exc.lineno, f"XML không đúng cú pháp: {exc.msg}")], None
        lines = {
            el.get("id"): el.sourceline for el in root.iter() if isinstance(el.tag, str) and el.get("id")
        }
        with self._lock:
            errors = self._xsd(content, lines)
            if errors:
                return errors, None
            errors, parsed = self._spiff(content, filename, lines)
        if parsed is not None:
            parsed.interrupting = _interrupting_event_subprocesses(root)
        if parsed is None:
            return errors, None
        errors += self._rules(parsed, lines)
        errors += self._code(root, now)
        return errors, (parsed if not errors else None)

    def _xsd(self, content: bytes, lines: dict[str, int]) -> list[dict[str, Any]]:
        tree = etree.fromstring(content, _xml_parser())  # a fresh tree: Spiff's preprocess mutates it
        VALIDATOR.preprocess(tree)
        if VALIDATOR.validator.validate(tree):
            return []
        by_line = {line: element_id for element_id, line in lines.items()}
        return [
            _error(by_line.get(e.line, "xml"), e.line, f"Sai lược đồ BPMN: {e.message}")
            for e in VALIDATOR.validator.error_log
        ]

    def _spiff(
        self, content: bytes, filename: str, lines: dict[str, int]
    ) -> tuple[list[dict[str, Any]], ParsedDefinition | None]:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        try:
            parser.add_bpmn_str(content, filename)
            called = parser.get_process_dependencies()
            keys = [k for k in parser.get_process_ids() if k not in called]
            if len(keys) != 1:
                found = ", ".join(keys) or "không có"
                return [
                    _error("xml", None,
                           f"cần đúng một quy trình thực thi (isExecutable) ở cấp cao nhất, tìm thấy: {found}")
                ], None
            key = keys[0]
            spec = parser.get_spec(key)
            subs = parser.get_subprocess_specs(key)
        except ValidationException as exc:
            element_id = exc.id or None
            line = exc.line_number if isinstance(exc.line_number, int) else lines.get(element_id or "")
            return [_error(element_id, line, str(exc))], None
        except (SpiffWorkflowException, ValueError, KeyError, TypeError) as exc:
            return [_error("xml", None, f"{type(exc).__name__}: {exc}")], None
        use_engine_clock(spec, *subs.values())
        return [], ParsedDefinition(key=key, spec=spec, subprocess_specs=subs, interrupting=[])

    def _rules(self, parsed: ParsedDefinition, lines: dict[str, int]) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        for spec in (parsed.spec, *parsed.subprocess_specs.values()):
            for ts in spec.task_specs.values():
                element_id = ts.name
                line = lines.get(element_id)
                if ts.manual:
                    lane = getattr(ts, "lane", None)
                    if not lane:
                        errors.append(_error(
                            element_id, line, "nhiệm vụ người dùng (user task) không nằm trong làn (lane) nào"))
                    elif self.lanes is not None and lane not in self.lanes:
                        errors.append(_error(
                            element_id, line, f"làn “{lane}” của nhiệm vụ người dùng không phải mã vai trò "
                                              f"(cần một trong: {', '.join(sorted(self.lanes))})"))
                    errors += self._form_schema(ts, element_id, line)
                operation = getattr(ts, "operation_name", None)
                if operation is not None:
                    errors += self._operator(operation, ts.operation_params, element_id, line)
        return errors

    def _form_schema(self, ts: Any, element_id: str, line: int | None) -> list[dict[str, Any]]:
        raw = (ts.extensions or {}).get("properties", {}).get("formJsonSchema")
        if raw is None:
            return []
        problem = _schema_problem(raw)
        if problem is not None:
            return [_error(element_id, line, f"formJsonSchema không phải JSON Schema hợp lệ: {problem}")]
        return []

    def _operator(
        self, name: str, params: dict[str, Any], element_id: str, line: int | None
    ) -> list[dict[str, Any]]:
        operator = self.operators.get(name)
        if operator is None:
            known = ", ".join(self.operators.names()) or "không có"
            return [_error(element_id, line, f"không có toán tử service task “{name}” (đã đăng ký: {known})")]
        missing = sorted(operator.required_params - set(params))
        if missing:
            return [_error(element_id, line, f"toán tử “{name}” cần tham số: {', '.join(missing)}")]
        errors = []
        for param_name, param in params.items():
            described = operator.param(param_name)
            literal = _string_literal(param.get("value"))
            if described is None or not described.choices or literal is None:
                continue  # an expression is evaluated when the task runs
            if literal not in described.choices:
                errors.append(_error(element_id, line, (
                    f"toán tử “{name}”: tham số {param_name} = '{literal}' không có trong danh mục "
                    f"({', '.join(described.choices)})")))
        return errors

    def _code(self, root: Any, now: datetime) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        for xpath, mode, attribute in _CODE_NODES:
            for node in root.xpath(xpath, namespaces=NS):
                source = node.get(attribute) if attribute else node.text
                if not source or not source.strip():
                    continue
                reason = self.sandbox.check(source, mode=mode)
                if reason:
                    errors.append(_error(_owner(node), node.sourceline, f"{_label(node)} bị từ chối: {reason}"))
        for node in root.iter(*(f"{{{BPMN}}}{t}" for t in _TIMERS)):
            reason = self._timer(etree.QName(node).localname, (node.text or "").strip(), now)
            if reason:
                errors.append(_error(_owner(node), node.sourceline, reason))
        return errors

    def _timer(self, kind: str, text: str, now: datetime) -> str | None:
        if not text:
            return f"{kind} để trống"
        if _UNQUOTED_ISO.match(text):
            return (f'{kind} {text!r} được tính như biểu thức Python: hãy đặt giá trị ISO 8601 trong dấu nháy, '
                    f'ví dụ "{text}"')
        reason = self.sandbox.check(text, mode="eval")
        if reason:
            return f"biểu thức {kind} bị từ chối: {reason}"
        try:
            value = self.sandbox.evaluate(text, {})
        except NameError:
            return None  # depends on process variables: checked when the timer is reached
        except Exception as exc:  # noqa: BLE001 - any failure is a deploy error to report
            return f"biểu thức {kind} lỗi: {type(exc).__name__}: {exc}"
        if not isinstance(value, str):
            return f"{kind} phải cho ra chuỗi ISO 8601, nhận được {type(value).__name__}"
        try:
            if kind == "timeDate":
                if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                    return f"timeDate {value!r} không phải ngày giờ"
            elif kind == "timeDuration":
                TimerEventDefinition.parse_iso_duration(value)
            else:
                parse_cycle(value, now)
        except Exception as exc:  # noqa: BLE001 - Spiff raises bare Exception('Invalid duration')
            return f"{kind} {value!r} không phải giá trị ISO 8601 hợp lệ: {exc}"
        return None


@functools.lru_cache(maxsize=512)
def _schema_problem(raw: str) -> str | None:
    """Why the form schema text `raw` is not a JSON Schema (draft 2020-12), or None. Cached by its text:
    checking a schema against the metaschema costs ~10 ms, and every deploy of an unchanged diagram (each
    start-up's `deploy bpmn`, the designers' validate-then-deploy) checks the same texts again."""
    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(raw))
    except (ValueError, jsonschema.SchemaError) as exc:
        return str(getattr(exc, "message", exc))
    return None


def _string_literal(source: Any) -> str | None:
    """The string a parameter's Python expression is when it is a plain quoted literal, else None."""
    try:
        value = ast.literal_eval(source) if isinstance(source, str) else None
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _interrupting_event_subprocesses(root: Any) -> list[str]:
    ids = []
    for sub in root.xpath("//bpmn:subProcess[@triggeredByEvent='true']", namespaces=NS):
        starts = sub.xpath("./bpmn:startEvent", namespaces=NS)
        if any(start.get("isInterrupting", "true").lower() != "false" for start in starts):
            ids.append(str(sub.get("id")))
    return ids


def _xml_parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True)


def _owner(node: Any) -> str:
    current = node
    while current is not None:
        qname = etree.QName(current)
        skip = qname.localname.endswith("EventDefinition") or qname.localname == "formalExpression"
        if qname.namespace == BPMN and current.get("id") and not skip:
            return str(current.get("id"))
        current = current.getparent()
    return "xml"


def _label(node: Any) -> str:
    name = etree.QName(node).localname
    return {"script": "script", "conditionExpression": "condition", "parameter": "parameter"}.get(name, name)
