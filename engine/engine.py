"""The Engine: deploy BPMN, run instances one transaction-sized step at a time (see README.md)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlmodel import Session, select

from engine import store
from engine.definitions import UNFINISHED, Definitions
from engine.errors import (
    ConcurrentModification,
    IncidentNotFound,
    IncidentNotOpen,
    InstanceInIncident,
    InstanceNotFound,
    MessageNotExpected,
    WorkItemNotFound,
    WorkItemNotOpen,
)
from engine.migration import MigrationCheck, MigrationProblem, migrate_in_memory
from engine.models import Incident, ProcessDefinition, ProcessInstance, WorkItem
from engine.operators import OperatorContext, OperatorRegistry
from engine.sandbox import Sandbox
from engine.spiff import EngineScriptEngine, SpiffSerializer
from engine.steps import (
    Failure,
    LoopBoundExceeded,
    capture_failure,
    find_task,
    interrupt_for_event_subprocess,
    message_catchers,
    message_correlations,
    validate_form,
)
from engine.validation import DefinitionValidator
from engine.views import DeployResult, IncidentView, StepResult, Waiting, WorkItemView

# Task-data key holding the last user task's own submission: {"step": <task id>, "data": {...}}.
LAST_FORM_KEY = "_form"

class Engine:
    """BPMN runtime over SpiffWorkflow 3.2.0. Built once; methods take the caller's session and only flush."""

    def __init__(
        self,
        *,
        operators: OperatorRegistry,
        now: Callable[[], datetime],
        max_task_depth: int = 600,
        sandbox: Sandbox | None = None,
        lanes: frozenset[str] | None = None,
    ) -> None:
        """`lanes`: the lane names user tasks may sit in, checked at deploy (None: any)."""
        self.operators = operators
        self.now = now
        self.max_task_depth = max_task_depth
        self.sandbox = sandbox or Sandbox()
        self.serializer = SpiffSerializer()
        self._definitions = Definitions(
            validator=DefinitionValidator(operators=operators, sandbox=self.sandbox, lanes=lanes),
            serializer=self.serializer,
            now=now,
        )
        logging.getLogger("spiff").setLevel(logging.WARNING)  # Spiff logs every state change at INFO

    # ---- definitions -------------------------------------------------------------------------------------

    def validate(self, content: bytes, *, filename: str) -> list[dict[str, Any]]:
        """[] when the BPMN is deployable, else errors {"field", "line", "message"}."""
        return self._definitions.validate(content, filename=filename)

    def deploy(self, session: Session, *, content: bytes, filename: str) -> DeployResult:
        """Same content as a deployed version -> that version (created=False); changed -> version n+1."""
        return self._definitions.deploy(session, content=content, filename=filename)

    def definitions(self, session: Session) -> list[ProcessDefinition]:
        return self._definitions.all(session)

    def definition_xml(self, session: Session, *, key: str, version: int) -> str:
        return self._definitions.get(session, key=key, version=version).bpmn_xml

    def definition(self, session: Session, *, key: str, version: int | None) -> ProcessDefinition:
        """The given version of `key`, or its latest when None (DefinitionNotFound when there is none)."""
        return self._definitions.get(session, key=key, version=version)

    def previous_definition(self, session: Session, *, key: str, version: int) -> ProcessDefinition | None:
        """The version deployed before `version` of `key`, or None."""
        return self._definitions.previous(session, key=key, version=version)

    def element_ids(self, session: Session, *, key: str, version: int) -> frozenset[str]:
        """The ids Spiff knows that version's elements by (its task spec names), e.g. to check a mapping."""
        definition = self._definitions.get(session, key=key, version=version)
        assert definition.id is not None
        spec, subs = self._definitions.spec(session, definition.id)
        return frozenset(spec.task_specs) | frozenset(n for sub in subs.values() for n in sub.task_specs)

    def waiting(self, session: Session, *, key: str, version: int) -> Waiting:
        """Where the unfinished instances of that version wait (`Waiting`), counted in one statement."""
        definition = self._definitions.get(session, key=key, version=version)
        assert definition.id is not None
        return self._definitions.waiting(session, definition_id=definition.id)

    # ---- commands ----------------------------------------------------------------------------------------

    def start(
        self,
        session: Session,
        *,
        process_key: str,
        business_key: str,
        data: dict[str, Any],
        version: int | None = None,
    ) -> StepResult:
        """New instance with `data` in the Start task; runs to the first wait."""
        definition = self._definitions.get(session, key=process_key, version=version)
        assert definition.id is not None
        spec, subs = self._definitions.spec(session, definition.id)
        now = self.now()
        row = ProcessInstance(
            definition_id=definition.id,
            process_key=definition.key,
            business_key=business_key,
            status="running",
            state_json="{}",
            serializer_version=self.serializer.version,
            version=0,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        wf = BpmnWorkflow(spec, subs, script_engine=self._script_engine(session, row, now, actor=None))
        wf.get_next_task(state=TaskState.READY).data.update(copy.deepcopy(data))  # trap T3: not wf.data
        last: list[Any] = []
        failure = capture_failure(lambda: self._steps(wf, last))
        return self._finish(session, row, wf, now, read_version=0, failure=failure, last=last)

    def complete(
        self,
        session: Session,
        *,
        work_item_id: str,
        data: dict[str, Any],
        actor: str,
        expected_version: int | None = None,
    ) -> StepResult:
        """Complete an open work item with form data (validated against its formJsonSchema) as `actor`."""
        item = session.get(WorkItem, work_item_id)
        if item is None:
            raise WorkItemNotFound(f"work item {work_item_id} not found")
        if item.state != "open":
            raise WorkItemNotOpen(f"work item {work_item_id} is {item.state}")
        row = self._instance(session, item.instance_id)
        if row.status == "incident":
            raise InstanceInIncident(f"instance {row.id} has an open incident")
        if expected_version is not None and expected_version != row.version:
            raise ConcurrentModification(
                f"instance {row.id} is at version {row.version}, not {expected_version}"
            )
        form = copy.deepcopy(data)
        validate_form(item.form_schema, form)
        now = self.now()
        read_version = row.version
        wf = self._load(session, row, now, actor=actor)
        task = find_task(wf, work_item_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise WorkItemNotOpen(f"work item {work_item_id} is no longer open")
        item.state, item.completed_at, item.completed_by = "completed", now, actor
        completed = WorkItemView.of(item)
        last: list[Any] = []

        def run() -> None:
            self._check_depth(task)
            task.task_spec.add_data_from_form(task, form)
            # This round's submission, apart from the inherited data (see OperatorContext.form).
            task.data[LAST_FORM_KEY] = {"step": task.task_spec.name, "data": copy.deepcopy(form)}
            task.run()
            last.append(task)
            self._steps(wf, last)

        failure = capture_failure(run)
        return self._finish(
            session,
            row,
            wf,
            now,
            read_version=read_version,
            failure=failure,
            last=last,
            completed=completed if task.state == TaskState.COMPLETED else None,
        )

    def send_message(
        self, session: Session, *, instance_id: int, name: str, payload: dict[str, Any]
    ) -> StepResult:
        """Deliver message `name` to a waiting catch event (or event-subprocess start) of the instance."""
        row = self._instance(session, instance_id)
        if row.status == "incident":
            raise InstanceInIncident(f"instance {row.id} has an open incident")
        if row.status not in store.ACTIVE:
            raise MessageNotExpected(f"instance {row.id} is {row.status}")
        now = self.now()
        read_version = row.version
        wf = self._load(session, row, now, actor=None)
        catchers = message_catchers(wf, name)
        if not catchers:
            raise MessageNotExpected(f"instance {row.id} is not waiting for message '{name}'")
        event = BpmnEvent(
            MessageEventDefinition(name),
            payload=copy.deepcopy(payload),
            correlations=message_correlations(wf, catchers, payload),
        )
        last: list[Any] = []

        def run() -> None:
            before = {child.id for child in wf.task_tree.children}
            try:
                wf.send_event(event)
            except WorkflowException as exc:
                if "not waiting" in str(exc):
                    raise MessageNotExpected(f"instance {row.id} does not accept message '{name}'") from exc
                raise
            interrupt_for_event_subprocess(wf, before)
            self._steps(wf, last)

        failure = capture_failure(run)
        return self._finish(session, row, wf, now, read_version=read_version, failure=failure, last=last)

    def due_timer_instance_ids(self, session: Session, *, limit: int = 100) -> list[int]:
        stmt = (
            select(ProcessInstance.id)
            .where(ProcessInstance.next_timer_at <= self.now(), ProcessInstance.status.in_(store.ACTIVE))  # type: ignore[operator,attr-defined]
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit)
        )
        return [int(i) for i in session.exec(stmt).all() if i is not None]

    def fire_timers(self, session: Session, *, instance_id: int) -> StepResult | None:
        """Run due timers of one instance; None when another worker holds the row or nothing is due."""
        now = self.now()
        stmt = (
            select(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        row = session.exec(stmt).first()
        due = store.as_utc(row.next_timer_at) if row is not None else None
        if row is None or row.status not in store.ACTIVE or due is None or due > now:
            return None
        read_version = row.version
        wf = self._load(session, row, now, actor=None)
        last: list[Any] = []
        failure = capture_failure(lambda: self._steps(wf, last))
        return self._finish(session, row, wf, now, read_version=read_version, failure=failure, last=last)

    def retry_incident(self, session: Session, *, incident_id: int, actor: str) -> StepResult:
        """Resolve the incident and re-run what failed (ERROR tasks back to READY, then engine steps)."""
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise IncidentNotFound(f"incident {incident_id} not found")
        if incident.resolved_at is not None:
            raise IncidentNotOpen(f"incident {incident_id} was already resolved")
        row = self._instance(session, incident.instance_id)
        now = self.now()
        read_version = row.version
        wf = self._load(session, row, now, actor=actor)
        store.resolve_incidents(session, incident.instance_id, actor=actor, now=now)
        last: list[Any] = []

        def run() -> None:
            for task in wf.get_tasks(state=TaskState.ERROR):
                task._set_state(TaskState.READY)
            self._steps(wf, last)

        failure = capture_failure(run)
        return self._finish(session, row, wf, now, read_version=read_version, failure=failure, last=last)

    def cancel(self, session: Session, *, instance_id: int, actor: str, reason: str) -> StepResult:
        """Stop the instance: open work items become 'cancelled' (StepResult.closed), incidents resolved."""
        row = self._instance(session, instance_id)
        now = self.now()
        read_version = row.version
        wf = self._load(session, row, now, actor=actor)
        if row.status in ("completed", "cancelled"):
            return self._result(row, data=store.current_data(wf))
        wf.cancel()
        wf.data["cancel_reason"] = reason
        store.resolve_incidents(session, instance_id, actor=actor, now=now)
        return self._finish(
            session, row, wf, now, read_version=read_version, failure=None, last=[], status="cancelled"
        )

    def instance_data(self, session: Session, *, instance_id: int) -> dict[str, Any]:
        row = self._instance(session, instance_id)
        return store.current_data(self._load(session, row, self.now(), actor=None))

    # ---- migration (engine/migration.py) -----------------------------------------------------------------

    def migration_candidates(self, session: Session, *, key: str, to_version: int) -> list[int]:
        """Ids of the unfinished instances (running, waiting, in incident) of `key` on a version other than
        `to_version`, oldest first."""
        stmt = (select(ProcessInstance.id)
                .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)  # type: ignore[arg-type]
                .where(ProcessInstance.process_key == key, ProcessDefinition.version != to_version,
                       ProcessInstance.status.in_(UNFINISHED))  # type: ignore[attr-defined]
                .order_by(ProcessInstance.id))
        return [int(i) for i in session.exec(stmt).all() if i is not None]

    def check_migration(
        self, session: Session, *, instance_id: int, to_version: int, mapping: dict[str, str]
    ) -> MigrationCheck:
        """Whether the instance can move to `to_version` of its key with `mapping` (old element id -> new), and
        why not; nothing is written (the move is made on a throwaway copy)."""
        check, _, _ = self._plan_migration(session, instance_id=instance_id, to_version=to_version,
                                           mapping=mapping)
        return check

    def migrate(
        self, session: Session, *, instance_id: int, to_version: int, mapping: dict[str, str]
    ) -> MigrationCheck:
        """Move the instance to `to_version` when `check_migration` finds nothing in the way, else change
        nothing and return the problems. The save is the optimistic-locked update of every step
        (`ConcurrentModification` when someone saved the instance since it was read); open work items keep
        their id, due time and assignee and take the new element's names, lane and form. Runs no operator."""
        check, wf, target = self._plan_migration(session, instance_id=instance_id, to_version=to_version,
                                                 mapping=mapping)
        if not check.movable or wf is None or target is None:
            return check
        row = self._instance(session, instance_id)
        store.save_instance(session, row, read_version=check.instance_version, values={
            "definition_id": target.id,
            "state_json": self.serializer.dumps(wf),
            "serializer_version": self.serializer.version,
            "next_timer_at": store.next_timer_at(wf),
            "updated_at": self.now(),
        })
        store.refresh_work_items(session, row, wf)
        store.sync_work_items(session, row, wf, self.now())
        return check

    def _plan_migration(
        self, session: Session, *, instance_id: int, to_version: int, mapping: dict[str, str]
    ) -> tuple[MigrationCheck, BpmnWorkflow | None, ProcessDefinition | None]:
        row = self._instance(session, instance_id)
        source = session.get(ProcessDefinition, row.definition_id)
        assert source is not None and row.id is not None
        target = self._definitions.get(session, key=row.process_key, version=to_version)
        assert target.id is not None
        base = {"instance_id": row.id, "business_key": row.business_key, "process_key": row.process_key,
                "from_version": source.version, "to_version": target.version, "instance_version": row.version}
        if row.status == "incident":
            return MigrationCheck(**base, problems=(MigrationProblem("incident"),)), None, None
        new_spec, new_subs = self._definitions.spec(session, target.id)
        wf = self._load(session, row, self.now(), actor=None)
        try:
            plan = migrate_in_memory(wf, registry=self.serializer.registry, new_spec=new_spec, new_subs=new_subs,
                                     mapping=mapping)
            if not plan.problems:  # what would be stored must restore on the new spec
                self.serializer.loads(self.serializer.dumps(wf), new_spec, new_subs)
        except Exception as exc:  # noqa: BLE001 - any failure of Spiff's migration refuses this instance only
            return MigrationCheck(**base, problems=(MigrationProblem("failed", detail=f"{type(exc).__name__}: "
                                                                                     f"{exc}"),)), None, None
        check = MigrationCheck(**base, problems=tuple(plan.problems), steps=tuple(plan.steps),
                               dropped=tuple(plan.dropped))
        return check, (wf if check.movable else None), target

    # ---- internals ---------------------------------------------------------------------------------------

    def _instance(self, session: Session, instance_id: int) -> ProcessInstance:
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise InstanceNotFound(f"instance {instance_id} not found")
        return row

    def _load(
        self, session: Session, row: ProcessInstance, now: datetime, *, actor: str | None
    ) -> BpmnWorkflow:
        spec, subs = self._definitions.spec(session, row.definition_id)
        wf = self.serializer.loads(row.state_json, spec, subs)
        wf.script_engine = self._script_engine(session, row, now, actor=actor)
        return wf

    def _script_engine(
        self, session: Session, row: ProcessInstance, now: datetime, *, actor: str | None
    ) -> EngineScriptEngine:
        def dispatch(task: Any, operation: str, params: dict[str, Any]) -> Any:
            registered = self.operators.get(operation)
            if registered is None:
                raise LookupError(f"operator '{operation}' is not registered")
            last_form = task.data.get(LAST_FORM_KEY)
            last_form = last_form if isinstance(last_form, dict) else {}
            context = OperatorContext(
                session=session,
                instance_id=row.id or 0,
                business_key=row.business_key,
                process_key=row.process_key,
                element_id=task.task_spec.name,
                element_name=task.task_spec.bpmn_name,
                data=copy.deepcopy(dict(task.data)),
                now=now,
                actor=actor,
                form=copy.deepcopy(dict(last_form.get("data") or {})),
                form_step=last_form.get("step"),
            )
            with session.begin_nested():  # a failing operator leaves none of its rows
                return registered.fn(context, params)

        return EngineScriptEngine(sandbox=self.sandbox, now=now, dispatch=dispatch)

    def _check_depth(self, task: Any) -> None:
        if task.depth > self.max_task_depth:
            raise LoopBoundExceeded(task, self.max_task_depth)

    def _steps(self, wf: BpmnWorkflow, last: list[Any]) -> None:
        wf.refresh_timers()  # trap T5: due timers before the engine steps
        wf.do_engine_steps(will_complete_task=self._check_depth, did_complete_task=last.append)
        for task in wf.get_tasks(state=TaskState.READY, manual=True):
            self._check_depth(task)

    def _finish(
        self,
        session: Session,
        row: ProcessInstance,
        wf: BpmnWorkflow,
        now: datetime,
        *,
        read_version: int,
        failure: Failure | None,
        last: list[Any],
        completed: WorkItemView | None = None,
        status: str | None = None,
    ) -> StepResult:
        if status is None and failure is None:
            if wf.is_completed():
                status = "completed"
            elif wf.get_tasks(state=TaskState.READY, manual=True):
                status = "running"
            elif wf.get_tasks(state=TaskState.WAITING | TaskState.STARTED | TaskState.READY):
                status = "waiting"
            else:
                failure = Failure(None, "process stalled: no open task, timer or message to wait for")
        status = "incident" if failure is not None else status
        done = status in ("completed", "cancelled")
        values: dict[str, Any] = {
            "status": status,
            "state_json": self.serializer.dumps(wf),
            "serializer_version": self.serializer.version,
            "next_timer_at": None if done else store.next_timer_at(wf),
            "updated_at": now,
            "completed_at": now if done else None,
        }
        store.save_instance(session, row, read_version=read_version, values=values)
        incident = None
        if failure is not None:
            incident = store.add_incident(
                session, row, element_id=failure.element_id, reason=failure.reason, now=now
            )
        opened, closed = store.sync_work_items(session, row, wf, now)
        data = copy.deepcopy(dict(last[-1].data)) if last else store.current_data(wf)
        return self._result(
            row,
            completed=completed,
            opened=opened,
            closed=closed,
            incident=IncidentView.of(incident) if incident else None,
            data=data,
        )

    @staticmethod
    def _result(row: ProcessInstance, **kwargs: Any) -> StepResult:
        assert row.id is not None
        return StepResult(
            instance_id=row.id,
            business_key=row.business_key,
            process_key=row.process_key,
            status=row.status,
            version=row.version,
            **kwargs,
        )
