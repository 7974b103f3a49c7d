"""Drive a library process with plain SpiffWorkflow 3.2.0, recording every operator call.

The project's engine adds persistence, sandboxing and real operators; here the script engine only
records `call_service` (SPIFFWORKFLOW.md §1.3 SafeServiceEngine shape), so the tests see exactly what
the BPMN asks for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from workflows.dossiers import transitions
from workflows.dossiers.statuses import SubStatus

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
PROCESSES = {"mot_cua_chuan": "mot_cua_chuan.bpmn", "karaoke_vu_truong": "karaoke_vu_truong.bpmn"}
SHORT = {"dossier/status": "status", "zalo/notify": "notify", "documents/render": "render", "documents/sign": "sign"}


def parse(process_id: str) -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(BPMN_DIR / PROCESSES[process_id]))
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


class RecordingScriptEngine(PythonScriptEngine):
    """Evaluates like the default engine; service calls are recorded and answered with a JSON string.
    A status change outside the transition table fails the task, as the real operator does."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.status = transitions.INITIAL  # the dossier is created in it before its process starts

    def call_service(self, task, operation_name, operation_params):
        try:
            params = {name: p["value"] for name, p in operation_params.items()}
            if operation_name == "dossier/status":
                target = SubStatus(params["status"])
                transitions.ensure_allowed(self.status, target)
                self.status = target
            self.calls.append((operation_name, params))
            return json.dumps({"operator": operation_name})
        except Exception as exc:
            message = f"Service {operation_name} failed: {exc}"
            raise WorkflowTaskException(message, task=task, exception=exc) from exc


class Run:
    """One process instance; serialized and restored after every step, as the engine will do."""

    def __init__(self, process_id: str, specs: tuple[Any, dict[str, Any]], **start_data: Any) -> None:
        self.script_engine = RecordingScriptEngine()
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.wf = BpmnWorkflow(specs[0], specs[1], script_engine=self.script_engine)
        data = {
            "dossier_code": "H60.22-250101-0001",
            "procedure_code": "1.001234.000.00.00.H60",
            "channel": "truc_tuyen",
            "has_financial_obligation": False,
            "requires_site_inspection": process_id == "karaoke_vu_truong",
        }
        data.update(start_data)
        self.wf.get_next_task(state=TaskState.READY).data.update(data)
        self._advance()

    def _advance(self) -> None:
        self.wf.do_engine_steps()
        before = self.ready()
        self.wf = self.serializer.deserialize_json(self.serializer.serialize_json(self.wf))
        self.wf.script_engine = self.script_engine
        assert self.ready() == before, "serializer round trip changed the waiting tasks"

    def ready(self) -> list[str]:
        return sorted(t.task_spec.name for t in self.wf.get_tasks(state=TaskState.READY, manual=True))

    def task(self, step: str) -> Any:
        tasks = self.wf.get_tasks(state=TaskState.READY, manual=True, spec_name=step)
        assert len(tasks) == 1, f"expected {step} to be the READY step, READY: {self.ready()}"
        return tasks[0]

    def complete(self, step: str, **form: Any) -> list[tuple[str, str]]:
        """Complete the READY user task `step` with a form that must satisfy its schema; return new calls."""
        task = self.task(step)
        schema = json.loads(task.task_spec.extensions["properties"]["formJsonSchema"])
        jsonschema.Draft202012Validator(schema).validate(form)
        mark = len(self.script_engine.calls)
        task.data.update(form)
        task.run()
        self._advance()
        return self.trail(mark)

    def withdraw(self, **payload: Any) -> list[tuple[str, str]]:
        mark = len(self.script_engine.calls)
        self.wf.send_event(BpmnEvent(MessageEventDefinition("rut_ho_so"), payload=payload))
        self._advance()
        return self.trail(mark)

    def trail(self, start: int = 0) -> list[tuple[str, str]]:
        """Operator calls since `start` as (kind, value), e.g. ('status', 'DA_TIEP_NHAN')."""
        out = []
        for name, params in self.script_engine.calls[start:]:
            (value,) = [v for k, v in params.items() if k != "note"]
            out.append((SHORT[name], value))
        return out

    def end_event(self) -> str:
        ends = [t.task_spec.name for t in self.wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.__class__.__name__ == "EndEvent"]
        assert len(ends) == 1, ends
        return ends[0]

    def data(self) -> dict[str, Any]:
        return self.wf.last_task.data
