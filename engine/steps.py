"""Helpers of one engine step: turning failures into incidents, form validation, message correlation."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jsonschema
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import EngineError, FormDataInvalid, MessageNotExpected


@dataclass(frozen=True)
class Failure:
    element_id: str | None
    reason: str


class LoopBoundExceeded(Exception):
    def __init__(self, task: Any, limit: int) -> None:
        self.element_id = task.task_spec.name
        super().__init__(
            f"loop bound exceeded: '{self.element_id}' at task-tree depth {task.depth} (limit {limit})"
        )


def capture_failure(action: Callable[[], None]) -> Failure | None:
    """Run `action`; BPMN-level failures become a Failure (an incident); engine and DB errors propagate."""
    try:
        action()
    except (EngineError, SQLAlchemyError):
        raise
    except LoopBoundExceeded as exc:
        return Failure(exc.element_id, str(exc))
    except RecursionError:
        return Failure(None, "loop bound exceeded: the task tree is too deep (RecursionError)")
    except WorkflowTaskException as exc:
        return Failure(exc.task.task_spec.name if exc.task else None, _reason(exc))
    except SpiffWorkflowException as exc:
        spec = getattr(exc, "task_spec", None)
        return Failure(getattr(spec, "name", None), _reason(exc))
    except Exception as exc:  # noqa: BLE001 - an incident, never a 500 or a silent stop
        return Failure(None, _reason(exc))
    return None


def _reason(exc: BaseException) -> str:
    reason = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in reason:
        reason += f" ({type(cause).__name__}: {cause})"
    return reason


def find_task(wf: BpmnWorkflow, task_id: str) -> Any:
    try:
        return wf.get_task_from_id(UUID(task_id))
    except (TaskNotFoundException, ValueError):
        return None


def validate_form(schema: dict[str, Any] | None, data: dict[str, Any]) -> None:
    """FormDataInvalid when `data` fails the task's JSON Schema (formats checked too: a `date` must be one).

    `errors` holds one item per field, for the application to word: {"field": "a.0.b", "message": English,
    "rule": the failing keyword, "label": the field's `title` or None, "expected": the keyword's value,
    "choices": the titles of an enum's `oneOf` options or None}. A combinator's failure (oneOf, allOf…) is
    kept only when nothing more precise was found for that field."""
    if not schema:
        return
    validator = jsonschema.Draft202012Validator(schema, format_checker=_FORMATS)
    found: dict[str, dict[str, Any]] = {}
    for error in validator.iter_errors(data):
        for item in _form_items(schema, error):
            current = found.get(item["field"])
            if current is None or (current["rule"] in _COMBINATORS and item["rule"] not in _COMBINATORS):
                found[item["field"]] = item
    if found:
        raise FormDataInvalid("form data does not match the task's schema", errors=list(found.values()))


_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER
_COMBINATORS = frozenset({"oneOf", "anyOf", "allOf", "not", "if", "then", "else"})


def _form_items(root: dict[str, Any], error: Any) -> list[dict[str, Any]]:
    path = [str(p) for p in error.absolute_path]
    instance, rule = error.instance, str(error.validator)
    if rule == "required" and isinstance(instance, dict):
        names = [name for name in error.validator_value if name not in instance]
    elif rule == "additionalProperties" and isinstance(instance, dict):
        known = _schema_at(root, path).get("properties", {})
        names = [name for name in instance if name not in known]
    else:
        names = [None]
    items = []
    for name in names:
        field = [*path, name] if name is not None else path
        at = _schema_at(root, field)
        choices = [o.get("title") for o in at.get("oneOf", []) if isinstance(o, dict) and "const" in o]
        items.append({
            "field": ".".join(field), "message": error.message, "rule": rule,
            "label": at.get("title") if field else None,
            "expected": error.validator_value if rule not in ("required", "additionalProperties") else None,
            "choices": choices if rule == "enum" and choices and all(choices) else None,
        })
    return items


def _schema_at(schema: dict[str, Any], path: list[str]) -> dict[str, Any]:
    """The (sub)schema describing the value at `path`, through `properties` and `items`; {} if unknown."""
    current: Any = schema
    for part in path:
        if not isinstance(current, dict):
            return {}
        if part.isdigit() and isinstance(current.get("items"), dict):
            current = current["items"]
        else:
            current = current.get("properties", {}).get(part)
    return current if isinstance(current, dict) else {}


def message_catchers(wf: BpmnWorkflow, name: str) -> list[Any]:
    """Message definitions that would catch `name`: waiting catch events and event-subprocess start events."""
    found = [
        t.task_spec.event_definition
        for t in wf.event_manager.tasks.values()
        if isinstance(t.task_spec.event_definition, MessageEventDefinition)
    ]
    for spec_name in wf.spec.start.trigger_specs:
        found += [ts.event_definition for ts in wf.subprocess_specs[spec_name].bpmn_start_events]
    return [d for d in found if isinstance(d, MessageEventDefinition) and d.name == name]


def message_correlations(wf: BpmnWorkflow, catchers: list[Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Correlation keys of a message computed from its payload, as the catching event computes them."""
    correlations: dict[str, Any] = {}
    for definition in catchers:
        for prop in definition.correlation_properties:
            try:
                value = wf.script_engine.environment.evaluate(
                    prop.retrieval_expression, copy.deepcopy(payload)
                )
            except Exception as exc:  # noqa: BLE001 - a payload without the key cannot be correlated
                raise MessageNotExpected(f"message payload lacks correlation property '{prop.name}'") from exc
            for key in prop.correlation_keys:
                correlations.setdefault(key, {})[prop.name] = value
    return correlations


def interrupt_for_event_subprocess(wf: BpmnWorkflow, before: set[Any]) -> None:
    """Cancel the main path when an interrupting event subprocess was just triggered.

    SpiffWorkflow 3.2.0 starts event subprocesses as siblings of the main path but ignores isInterrupting."""
    interrupting = getattr(wf.spec, "interrupting_event_subprocesses", frozenset())
    root = wf.task_tree
    triggered = [c for c in root.children if c.id not in before and c.task_spec.name in interrupting]
    if not triggered:
        return
    keep = {t.id for t in triggered}
    for child in list(root.children):
        if child.id not in keep:
            child.cancel()
    for sp_id, subprocess in list(wf.subprocesses.items()):
        parent = wf.get_task_from_id(sp_id)
        if parent is not None and parent.state == TaskState.CANCELLED and not subprocess.is_completed():
            wf.cancel(subprocess)
