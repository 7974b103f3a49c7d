"""Errors of the BPMN engine. Each has a stable `code`; `errors` lists details (element ids, fields)."""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    code = "engine_error"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class DefinitionInvalid(EngineError):
    """Deploy refused. `errors` items: {"field": element id or "xml", "line": int|None, "message": str}."""

    code = "bpmn_invalid"


class DefinitionNotFound(EngineError):
    code = "process_definition_not_found"


class InstanceNotFound(EngineError):
    code = "instance_not_found"


class WorkItemNotFound(EngineError):
    code = "task_not_found"


class WorkItemNotOpen(EngineError):
    code = "task_already_completed"


class ConcurrentModification(EngineError):
    """The instance changed since it was read (optimistic lock lost)."""

    code = "instance_changed"


class FormDataInvalid(EngineError):
    """Form data fails the task's JSON schema. `errors` items: {"field": "a.b", "message": str}."""

    code = "form_invalid"


class InstanceInIncident(EngineError):
    code = "instance_in_incident"


class MessageNotExpected(EngineError):
    code = "message_not_expected"


class IncidentNotFound(EngineError):
    code = "incident_not_found"


class IncidentNotOpen(EngineError):
    """The incident was already resolved (retried or the instance cancelled)."""

    code = "incident_resolved"
