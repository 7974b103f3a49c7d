"""Plain result objects returned by the Engine (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.models import Incident, WorkItem


@dataclass(frozen=True)
class DeployResult:
    definition_id: int
    key: str
    version: int
    sha256: str
    deployed_at: datetime
    created: bool


@dataclass(frozen=True)
class Waiting:
    """Where the unfinished instances of one definition version stand: per element id, the instances with an
    open work item there and those stopped there by an open incident; `instances`: all unfinished ones."""

    instances: int
    at_tasks: dict[str, int]
    at_incidents: dict[str, int]


@dataclass(frozen=True)
class WorkItemView:
    id: str
    instance_id: int
    business_key: str
    element_id: str
    name: str | None
    title: str | None
    lane: str | None
    form_schema: dict[str, Any] | None
    assignee: str | None
    properties: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, item: WorkItem) -> WorkItemView:
        return cls(
            id=item.id,
            instance_id=item.instance_id,
            business_key=item.business_key,
            element_id=item.element_id,
            name=item.name,
            title=item.title,
            lane=item.lane,
            form_schema=item.form_schema,
            assignee=item.assignee,
            properties=dict(item.properties or {}),
            created_at=item.created_at,
        )


@dataclass(frozen=True)
class IncidentView:
    id: int
    instance_id: int
    element_id: str | None
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, incident: Incident) -> IncidentView:
        assert incident.id is not None
        return cls(
            id=incident.id,
            instance_id=incident.instance_id,
            element_id=incident.element_id,
            reason=incident.reason,
            created_at=incident.created_at,
        )


@dataclass(frozen=True)
class StepResult:
    """What one command did. status: 'running' (open work items) | 'waiting' (only timers/messages pending) |
    'completed' | 'incident' | 'cancelled'."""

    instance_id: int
    business_key: str
    process_key: str
    status: str
    version: int
    completed: WorkItemView | None = None
    opened: list[WorkItemView] = field(default_factory=list)
    closed: list[WorkItemView] = field(default_factory=list)
    incident: IncidentView | None = None
    data: dict[str, Any] = field(default_factory=dict)
