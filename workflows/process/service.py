"""The process façade: the one way the domain moves a process instance.

Each function runs one engine command in the caller's transaction, then the after-step hook registered for
the instance's process key (`services.after_step`, filled by `workflows.wiring.after_step_hooks`):
`workflows.dossiers.progress.after_step` for the dossier processes (due times of the opened work items from
the procedure's step hours, the control-log row of a completed one) and `workflows.feedback.service.after_step`
for `phan_anh_kien_nghi` (due times from feedback's step hours and the case's deadline). So no caller — a
service, the scheduler, the incident retry — has to remember what follows a step, and none needs to know
which domain a process belongs to. Functions flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from engine import Engine, StepResult
from engine.models import WorkItem
from workflows.collaborators import DomainServices, Step
from workflows.identity.actor import SYSTEM, Actor
from workflows.process import metrics


def start(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, process_key: str,
    business_key: str, data: dict[str, Any],
) -> StepResult:
    """Start the latest version of `process_key` for `business_key` with `data`; it runs to its first wait,
    then the after-step hook of `process_key` gives the first work items their due times."""
    now = services.clock.now()
    result = engine.start(session, process_key=process_key, business_key=business_key, data=data)
    _after_step(session, services=services, step=Step(result=result, actor=actor, now=now))
    return result


def complete(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, work_item_id: str,
    data: dict[str, Any], expected_version: int | None = None,
) -> StepResult:
    """Complete the open work item with its form `data` as `actor` (the caller has checked that `actor` may);
    the process runs to its next wait, then the after-step hook of its process key runs with the form data and
    the item's due time (the dossiers' hook logs the hand-over with them)."""
    now = services.clock.now()
    item = session.get(WorkItem, work_item_id)
    due_at = item.due_at if item is not None else None  # read before the engine closes the item
    result = engine.complete(session, work_item_id=work_item_id, data=data, actor=actor.username,
                             expected_version=expected_version)
    if item is not None:
        # Observed when the engine accepted the completion; a commit that fails after it (rare) still counts.
        metrics.observe_step(process=item.process_key, step=item.element_id, lane=item.lane,
                             created_at=item.created_at, completed_at=now)
    _after_step(session, services=services,
                step=Step(result=result, actor=actor, now=now, form=data, due_at=due_at))
    return result


def message(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, instance_id: int, name: str,
    payload: dict[str, Any],
) -> StepResult:
    """Deliver message `name` with `payload` to the waiting instance (a dossier's withdrawal), then the
    after-step hook of its process key."""
    now = services.clock.now()
    result = engine.send_message(session, instance_id=instance_id, name=name, payload=payload)
    _after_step(session, services=services, step=Step(result=result, actor=actor, now=now))
    return result


def fire_timers(
    session: Session, *, engine: Engine, services: DomainServices, instance_id: int,
) -> StepResult | None:
    """Fire the due timers of one instance in the name of the system, then the after-step hook of its
    process key; None (and no hook) when another worker holds the instance or nothing is due."""
    now = services.clock.now()
    result = engine.fire_timers(session, instance_id=instance_id)
    if result is not None:
        _after_step(session, services=services, step=Step(result=result, actor=SYSTEM, now=now))
    return result


def retry_incident(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, incident_id: int,
) -> StepResult:
    """Resolve the incident and re-run what failed as `actor`, then the after-step hook of its process key."""
    now = services.clock.now()
    result = engine.retry_incident(session, incident_id=incident_id, actor=actor.username)
    _after_step(session, services=services, step=Step(result=result, actor=actor, now=now))
    return result


def _after_step(session: Session, *, services: DomainServices, step: Step) -> None:
    hook = services.after_step.for_key(step.result.process_key)
    if hook is not None:
        hook(session, step=step, services=services)
