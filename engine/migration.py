"""Moving a running instance to another version of its definition, with SpiffWorkflow 3.2.0's own
`SpiffWorkflow.bpmn.util.diff` (`diff_workflow`, `migrate_workflow`).

Alignment is explicit: an element of the old version goes to the element of the new version with the same
id, or to the id `mapping` names for it (`{"xem_xet": "xem_xet_trinh_ky"}`); the derived specs Spiff makes
for an element (`<id>.BoundaryEventSplit`, `<id>.BoundaryEventJoin`) follow their element. Spiff's own guess
by neighbours (`SpecDiff._search_unmatched`) is not used: a person must be able to tell from the mapping where
each step goes. Then, for one instance:

- an instance in a subprocess or call activity, one with an open incident, one waiting on a timer (moving
  resets the waiting tasks, which would start its countdown again) is refused;
- a task that is still live (READY, WAITING, STARTED) on an element without a counterpart is refused, and so
  is one whose counterpart is of another type (a user task mapped to a service task);
- finished history on elements the new version no longer has is taken out of the task tree (a completed task
  is spliced out, its children hung on its parent; a cancelled branch is dropped): the new version's spec has
  nothing to restore it with. What happened stays in the application's own records;
- `migrate_workflow` then swaps the specs and resets the READY and WAITING tasks (same task ids: open work
  items keep their id, due time and assignee), so what comes next is predicted from the new version;
- the result must round-trip through the serializer with the new spec, every task on a spec of the new
  version, and nothing automatic left READY (a migration runs no operator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_DERIVED = (".BoundaryEventSplit", ".BoundaryEventJoin")


@dataclass(frozen=True)
class MigrationProblem:
    """Why an instance cannot move. `code`: `subprocess`, `incident`, `timer`, `element_missing`,
    `type_changed`, `changed_meanwhile` (optimistic lock lost while applying), `failed` (anything else; `detail`
    holds the error); `element_id`/`element_name` of the old version; `detail`: the target id or the error."""

    code: str
    element_id: str | None = None
    element_name: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class MigrationCheck:
    """What moving one instance to `to_version` does, or why it cannot. `steps`: each live element of the
    instance with the element it goes to; `dropped`: elements the instance went through that the new version
    lacks (their completed tasks are taken out of the tree; cancelled branches go unreported)."""

    instance_id: int
    business_key: str
    process_key: str
    from_version: int
    to_version: int
    problems: tuple[MigrationProblem, ...] = ()
    steps: tuple[tuple[str, str], ...] = ()
    dropped: tuple[str, ...] = ()
    instance_version: int = 0

    @property
    def movable(self) -> bool:
        return not self.problems


@dataclass
class _Plan:
    problems: list[MigrationProblem] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def target_name(name: str, mapping: dict[str, str]) -> str:
    """The new version's spec name for an old spec `name`: mapped, or the same; derived specs follow."""
    if name in mapping:
        return mapping[name]
    for suffix in _DERIVED:
        if name.endswith(suffix) and name[: -len(suffix)] in mapping:
            return mapping[name[: -len(suffix)]] + suffix
    return name


def migrate_in_memory(
    wf: BpmnWorkflow, *, registry: Any, new_spec: Any, new_subs: dict[str, Any], mapping: dict[str, str]
) -> _Plan:
    """Move `wf` (loaded on its old spec) onto `new_spec` in memory when nothing stands in the way; returns
    the plan, with `problems` (and `wf` untouched) when something does."""
    plan = _Plan()
    for sp_id in wf.subprocesses:
        task = wf.get_task_from_id(sp_id)
        plan.problems.append(_problem("subprocess", task.task_spec))
    if plan.problems:
        return plan
    if wf.get_tasks(state=TaskState.ERROR):
        plan.problems.append(MigrationProblem("incident"))
        return plan
    top_diff, _ = diff_workflow(registry, wf, new_spec, new_subs)
    # Explicit alignment replaces Spiff's (same id, or the mapped one; never a guess by neighbours).
    top_diff.alignment = {}
    top_diff.removed = []
    for task in wf.get_tasks(skip_subprocesses=True):
        counterpart = new_spec.task_specs.get(target_name(task.task_spec.name, mapping))
        if counterpart is None:
            top_diff.removed.append(task)
        else:
            top_diff.alignment[task] = counterpart
    for task in wf.get_tasks(state=LIVE, skip_subprocesses=True):
        spec, counterpart = task.task_spec, top_diff.alignment.get(task)
        parent = task.parent.task_spec.name if task.parent is not None else ""
        if parent.endswith(_DERIVED[0]) and parent != spec.name + _DERIVED[0] and not _is_timer(spec):
            continue  # a boundary event goes with the step it is attached to (its split follows that step)
        if _is_timer(spec) and task.has_state(TaskState.WAITING):
            plan.problems.append(_problem("timer", spec))
        elif counterpart is None:
            plan.problems.append(_problem("element_missing", spec))
        elif type(counterpart) is not type(spec):
            plan.problems.append(_problem("type_changed", spec, detail=counterpart.name))
        elif spec.manual or task.has_state(TaskState.WAITING):
            plan.steps.append((spec.name, counterpart.name))
    if plan.problems:
        return plan
    for task in top_diff.removed:
        if task.id in wf.tasks and task.has_state(TaskState.FINISHED_MASK):
            _take_out(wf, task, plan)
    migrate_workflow(top_diff, wf, new_spec)
    wf.subprocess_specs = new_subs
    stray = [t for t in wf.tasks.values() if new_spec.task_specs.get(t.task_spec.name) is not t.task_spec]
    if stray:
        plan.problems.append(_problem("failed", stray[0].task_spec, detail="task left on a spec of the old version"))
    elif any(not t.task_spec.manual for t in wf.get_tasks(state=TaskState.READY)):
        ready = next(t for t in wf.get_tasks(state=TaskState.READY) if not t.task_spec.manual)
        plan.problems.append(_problem("failed", ready.task_spec, detail="an automatic task would be ready"))
    return plan


def _take_out(wf: BpmnWorkflow, task: Any, plan: _Plan) -> None:
    """Remove finished `task` from the tree: a cancelled one with its branch, a completed one spliced."""
    parent = task.parent
    if parent is None:
        return
    position = parent._children.index(task.id)
    if task.has_state(TaskState.COMPLETED):
        if task.task_spec.name not in plan.dropped and getattr(task.task_spec, "bpmn_id", None):
            plan.dropped.append(task.task_spec.name)  # what was done; a branch never taken is not reported
        children = list(task._children)
        for child in task.children:
            child._parent = parent.id
        parent._children[position:position + 1] = children
        del wf.tasks[task.id]
        return
    del parent._children[position]
    for descendant in list(task):  # the task and everything below it
        wf.tasks.pop(descendant.id, None)


def _is_timer(spec: Any) -> bool:
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def _problem(code: str, spec: Any, *, detail: str | None = None) -> MigrationProblem:
    return MigrationProblem(code, spec.name, getattr(spec, "bpmn_name", None), detail)
