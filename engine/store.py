"""Persistence of one engine step: versioned instance save, derived work items, incidents, next timer."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from engine.errors import ConcurrentModification
from engine.models import Incident, ProcessInstance, WorkItem
from engine.spiff import TIMER_EVENT_TYPES
from engine.views import WorkItemView

ACTIVE = ("running", "waiting")
SESSION_ITEMS = "engine.work_items"  # session.info: work items of this session's steps, kept referenced


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; we only ever store UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def next_timer_at(wf: BpmnWorkflow) -> datetime | None:
    """Earliest due time among waiting timer events (Spiff keeps it as an ISO string in the task)."""
    due: list[datetime] = []
    for event in wf.waiting_events():
        if event.event_type not in TIMER_EVENT_TYPES or not isinstance(event.value, str):
            continue
        try:
            value = TimerEventDefinition.parse_time_or_duration(event.value)
        except Exception:  # noqa: BLE001, S112 - a duration-valued timeDate has no due instant; nothing to index
            continue
        if isinstance(value, datetime):
            due.append(value.astimezone(UTC))
    return min(due, default=None)


def save_instance(
    session: Session, row: ProcessInstance, *, read_version: int, values: dict[str, Any]
) -> int:
    """UPDATE ... WHERE version = read_version; raises ConcurrentModification when someone saved first."""
    new_version = read_version + 1
    result = session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == row.id, ProcessInstance.version == read_version)  # type: ignore[arg-type]
        .values(version=new_version, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentModification(f"instance {row.id} was changed by someone else; reload and retry")
    for key, value in {**values, "version": new_version}.items():
        set_committed_value(row, key, value)
    return new_version


def sync_work_items(
    session: Session, row: ProcessInstance, wf: BpmnWorkflow, now: datetime
) -> tuple[list[WorkItemView], list[WorkItemView]]:
    """Make work_item rows match the READY manual tasks; returns (opened, closed).

    One query reads the instance's items (a few dozen at most); the session keeps them referenced
    (`work_item` finds them without going back to the database; the identity map alone holds rows weakly).
    New items are added, not flushed: the after-step hook gives them their due times first, so each is
    one INSERT at the next flush instead of an INSERT and an UPDATE (issue 22)."""
    ready = {str(t.id): t for t in wf.get_tasks(state=TaskState.READY, manual=True)}
    closed: list[WorkItemView] = []
    items = {item.id: item for item in session.exec(select(WorkItem).where(WorkItem.instance_id == row.id))}
    for item in items.values():
        if item.state != "open" or item.id in ready:
            continue
        item.state = "completed" if _task_state(wf, item.id) == TaskState.COMPLETED else "cancelled"
        item.completed_at = now
        if item.state == "cancelled":
            closed.append(WorkItemView.of(item))
    opened: list[WorkItemView] = []
    for task_id, task in ready.items():
        item = items.get(task_id)
        if item is not None and item.state == "open":
            continue
        if item is None:
            item = items[task_id] = _new_item(row, task, now)
            session.add(item)
        else:  # re-opened, e.g. a retried task
            item.state, item.completed_at, item.completed_by = "open", None, None
        opened.append(WorkItemView.of(item))
    session.info.setdefault(SESSION_ITEMS, {}).update(items)
    return opened, closed


def work_item(session: Session, item_id: str) -> WorkItem | None:
    """A work item by id: one of this session's steps (possibly not flushed yet), else from the database."""
    found = session.info.get(SESSION_ITEMS, {}).get(item_id)
    return found if found is not None else session.get(WorkItem, item_id)


def refresh_work_items(session: Session, row: ProcessInstance, wf: BpmnWorkflow) -> None:
    """After a migration: open items whose task is still READY take the element, names, lane, form and
    properties of the spec it now runs on (same id, due time and assignee); `sync_work_items` does the rest."""
    ready = {str(t.id): t for t in wf.get_tasks(state=TaskState.READY, manual=True)}
    for item in session.exec(select(WorkItem).where(WorkItem.instance_id == row.id, WorkItem.state == "open")):
        task = ready.get(item.id)
        if task is None:
            continue
        fresh = _new_item(row, task, item.created_at)
        item.element_id, item.name, item.title, item.lane = fresh.element_id, fresh.name, fresh.title, fresh.lane
        item.form_schema, item.properties = fresh.form_schema, fresh.properties
        item.assignee = item.assignee or fresh.assignee
    session.flush()


def _task_state(wf: BpmnWorkflow, task_id: str) -> int | None:
    try:
        task = wf.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        return None
    return task.state if task is not None else None


# The `spiffworkflow:property` names a user task may carry that the engine reads (BPMN_CONVENTIONS.md), with
# what each means to the person drawing the diagram (the modeler's user-task template).
USER_TASK_PROPERTIES = {
    "formJsonSchema": "Biểu mẫu (JSON Schema draft 2020-12): dữ liệu cán bộ nhập được kiểm tra theo lược đồ này",
    "assigneeVariable": "Biến chứa tên đăng nhập của người được giao (ví dụ case_officer)",
    "title": "Tiêu đề trong danh sách công việc (mặc định: tên bước)",
}


def _new_item(row: ProcessInstance, task: Any, now: datetime) -> WorkItem:
    spec = task.task_spec
    properties = dict((spec.extensions or {}).get("properties", {}))
    assignee_key = properties.get("assigneeVariable")
    assignee = task.data.get(assignee_key) if assignee_key else None
    return WorkItem(
        id=str(task.id),
        instance_id=row.id,
        business_key=row.business_key,
        process_key=row.process_key,
        element_id=spec.name,
        name=spec.bpmn_name,
        title=properties.get("title") or spec.bpmn_name,
        lane=spec.lane,
        form_schema=form_schema(properties),
        properties=properties,
        assignee=str(assignee) if assignee not in (None, "") else None,
        state="open",
        created_at=now,
    )


def form_schema(properties: dict[str, Any]) -> dict[str, Any] | None:
    raw = properties.get("formJsonSchema")
    return json.loads(raw) if raw else None


def add_incident(
    session: Session, row: ProcessInstance, *, element_id: str | None, reason: str, now: datetime
) -> Incident:
    incident = Incident(instance_id=row.id, element_id=element_id, reason=reason[:4000], created_at=now)
    session.add(incident)
    session.flush()
    return incident


def resolve_incidents(session: Session, instance_id: int, *, actor: str, now: datetime) -> None:
    stmt = select(Incident).where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))  # type: ignore[union-attr]
    for incident in session.exec(stmt).all():
        incident.resolved_at, incident.resolved_by = now, actor


def current_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """Data of the first READY user task, else of the finished workflow, else of the last finished task."""
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    if ready:
        return copy.deepcopy(dict(ready[0].data))
    if wf.is_completed():
        return copy.deepcopy(dict(wf.data))
    finished = [t for t in wf.tasks.values() if t.state == TaskState.COMPLETED]
    if finished:
        return copy.deepcopy(dict(max(finished, key=lambda t: t.last_state_change).data))
    return {}
