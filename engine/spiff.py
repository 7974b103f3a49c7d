"""SpiffWorkflow 3.2.0 adapters: sandboxed script engine, clock-aware timers, instance-only serializer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.sandbox import Sandbox

# (operation name, evaluated params, task) -> JSON-able result
ServiceDispatch = Callable[[Any, str, dict[str, Any]], Any]


class SandboxEnvironment(TaskDataEnvironment):
    """Spiff script environment backed by the RestrictedPython sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__({})
        self.sandbox = sandbox

    def evaluate(self, expression, context, external_context=None):  # type: ignore[no-untyped-def]
        return self.sandbox.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):  # type: ignore[no-untyped-def]
        self.sandbox.execute(script, context, external_context)
        return True


class EngineScriptEngine(PythonScriptEngine):
    """One per command: carries the injected instant and the service-task dispatcher of this run."""

    def __init__(self, *, sandbox: Sandbox, now: datetime, dispatch: ServiceDispatch | None = None) -> None:
        super().__init__(environment=SandboxEnvironment(sandbox))
        self._now = now
        self._dispatch = dispatch

    def now(self) -> datetime:
        return self._now

    def call_service(self, task, operation_name, operation_params):  # type: ignore[no-untyped-def]
        # Overridden on the engine itself: 3.2.0's version turns any failure into NameError('script').
        params = {name: spec["value"] for name, spec in operation_params.items()}
        try:
            if self._dispatch is None:
                raise RuntimeError("no operator dispatcher configured")
            result = self._dispatch(task, operation_name, params)
            return json.dumps(result, default=str)  # Spiff json.loads() this
        except WorkflowTaskException:
            raise
        except Exception as exc:
            raise WorkflowTaskException(
                f"Operator {operation_name} failed: {type(exc).__name__}: {exc}", task=task, exception=exc
            ) from exc


def _now(my_task: Any) -> datetime:
    engine = my_task.workflow.script_engine
    return engine.now() if hasattr(engine, "now") else datetime.now(UTC)


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    """timeDate that asks the script engine's clock (Spiff reads datetime.now itself)."""

    def has_fired(self, my_task):  # type: ignore[no-untyped-def]
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    def has_fired(self, my_task):  # type: ignore[no-untyped-def]
        now = _now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            event_value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):  # type: ignore[no-untyped-def]
        now = _now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = parse_cycle(expression, now)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """Spiff's R[n]/start/duration parser, with `now` injected for the R[n]/duration form."""
    components = expression.upper().replace("--", "/").strip("R").split("/")
    if len(components) == 2 and components[1].startswith("P"):
        cycles = int(components[0]) if components[0] else -1
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(components[1]), now
        )
        return cycles, now + duration, duration
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


_CLOCK_TIMERS: dict[type, type] = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}


# PendingBpmnEvent.event_type is the definition's class name.
TIMER_EVENT_TYPES = frozenset(c.__name__ for pair in _CLOCK_TIMERS.items() for c in pair)


def _clocked(definition: Any) -> Any:
    if isinstance(definition, MultipleEventDefinition):
        definition.event_definitions = [_clocked(d) for d in definition.event_definitions]
        return definition
    target = _CLOCK_TIMERS.get(type(definition))
    if target is None:
        return definition
    clone = target.__new__(target)
    clone.__dict__.update(definition.__dict__)
    return clone


def use_engine_clock(*specs: Any) -> None:
    """Swap parsed timer definitions for clock-aware ones (done once at deploy; stored in the spec JSON)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "event_definition", None) is not None:
                task_spec.event_definition = _clocked(task_spec.event_definition)


class InstanceOnlyWorkflowConverter(BpmnWorkflowConverter):
    """BpmnWorkflowConverter without 'spec'/'subprocess_specs': specs come from the definition cache."""

    def to_dict(self, workflow):  # type: ignore[no-untyped-def]
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec_name"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):  # type: ignore[no-untyped-def]
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class SpiffSerializer:
    """Spec <-> JSON and instance-only workflow <-> JSON with one registry (SPIFF_CONFIG + our classes)."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        for clock_class in _CLOCK_TIMERS.values():
            config[clock_class] = TimerConditionalEventDefinitionConverter
        config[BpmnWorkflow] = InstanceOnlyWorkflowConverter
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))

    @property
    def registry(self) -> Any:
        """The converter registry (what `SpiffWorkflow.bpmn.util.diff` compares specs with)."""
        return self._serializer.registry

    @property
    def version(self) -> str:
        return str(self._serializer.VERSION)

    def spec_to_json(self, spec: Any, subprocess_specs: dict[str, Any], *, interrupting: list[str]) -> str:
        """`interrupting`: ids of event subprocesses with an interrupting start (Spiff ignores that flag)."""
        registry = self._serializer.registry
        return json.dumps(
            {
                "spec": registry.convert(spec),
                "subprocess_specs": {name: registry.convert(sub) for name, sub in subprocess_specs.items()},
                "interrupting_event_subprocesses": sorted(interrupting),
            }
        )

    def spec_from_json(self, text: str) -> tuple[Any, dict[str, Any]]:
        # Restoring through the converter also wires loop/MI children (trap T16).
        registry = self._serializer.registry
        dct = json.loads(text)
        subs = {name: registry.restore(sub) for name, sub in dct["subprocess_specs"].items()}
        spec = registry.restore(dct["spec"])
        spec.interrupting_event_subprocesses = frozenset(dct.get("interrupting_event_subprocesses", []))
        return spec, subs

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return str(self._serializer.serialize_json(workflow))

    def loads(self, text: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        dct = json.loads(text)
        self._serializer.migrate(dct)
        return self._serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
