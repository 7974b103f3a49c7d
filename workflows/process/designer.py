"""The process designers' reads and checks (`/quy-trinh/`): validation without deploying, what changed
between versions, where running instances wait, the modeler's element templates. Nothing here writes;
deploying stays `Engine.deploy`, so a file the page was told is valid is the file deploy accepts."""

from __future__ import annotations

from sqlmodel import Session

from engine import Engine
from engine.diff import DefinitionDiff, diff, process_key
from engine.errors import DefinitionNotFound
from engine.store import USER_TASK_PROPERTIES
from workflows.identity.models import Role
from workflows.process.schemas import (
    ChangesOut,
    Choice,
    ElementOut,
    ElementTemplatesOut,
    ElementWaitingOut,
    Problem,
    ServiceTaskTemplate,
    TemplateParam,
    UserTaskProperty,
    UserTaskTemplate,
    ValidationOut,
    VersionChangesOut,
    WaitingOut,
)


def validate(session: Session, *, engine: Engine, content: bytes, filename: str) -> ValidationOut:
    """Deploy's own validation of `content` (the same problems a deploy would answer 422 with), and, when the
    file names a process, what deploying it would change against that key's latest version."""
    problems = [Problem(**e) for e in engine.validate(content, filename=filename)]
    key = process_key(content)  # None for XML that is not well-formed: no changes to show then
    changes = None
    if key is not None:
        try:
            latest = engine.definition(session, key=key, version=None)
        except DefinitionNotFound:
            latest = None
        old = latest.bpmn_xml.encode("utf-8") if latest else _EMPTY
        changes = _changes(latest.version if latest else None, diff(old, content))
    return ValidationOut(valid=not problems, key=key, problems=problems, changes=changes)


def version_changes(session: Session, *, engine: Engine, key: str, version: int) -> VersionChangesOut:
    """What `version` of `key` changed against the version before it (all its elements for version 1)."""
    current = engine.definition(session, key=key, version=version)
    before = engine.previous_definition(session, key=key, version=version)
    old = before.bpmn_xml.encode("utf-8") if before else _EMPTY
    changes = _changes(before.version if before else None, diff(old, current.bpmn_xml.encode("utf-8")))
    return VersionChangesOut(key=key, version=version, **changes.model_dump())


def waiting(session: Session, *, engine: Engine, key: str, version: int) -> WaitingOut:
    """Per element of that version, the unfinished instances waiting there (open work item) or stopped
    there (open incident); elements with neither are left out."""
    found = engine.waiting(session, key=key, version=version)
    ids = sorted(set(found.at_tasks) | set(found.at_incidents))
    return WaitingOut(key=key, version=version, instances=found.instances, elements=[
        ElementWaitingOut(element_id=i, waiting=found.at_tasks.get(i, 0), incidents=found.at_incidents.get(i, 0))
        for i in ids])


def element_templates(*, engine: Engine) -> ElementTemplatesOut:
    """The modeler's templates, from what deploy validation checks: the registered operators with their
    parameters and choices, the role codes a lane may be named, the user-task properties the engine reads."""
    services = [
        ServiceTaskTemplate(operator=op.name, label=op.label or op.name, params=[
            TemplateParam(name=p.name, label=p.label, required=p.required,
                          choices=[Choice(value=v, label=label) for v, label in p.choices.items()]
                          if p.choices else None)
            for p in op.params])
        for op in engine.operators.all()]
    roles = [Choice(value=r.value, label=r.label) for r in Role]
    properties = [UserTaskProperty(name=name, label=label) for name, label in USER_TASK_PROPERTIES.items()]
    return ElementTemplatesOut(service_tasks=services, user_task=UserTaskTemplate(roles=roles, properties=properties))


_EMPTY = b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'


def _changes(base_version: int | None, found: DefinitionDiff) -> ChangesOut:
    def out(items: list) -> list[ElementOut]:  # type: ignore[type-arg]
        return [ElementOut(element_id=c.element_id, type=c.type, name=c.name, aspects=list(c.aspects))
                for c in items]

    return ChangesOut(base_version=base_version, added=out(found.added), removed=out(found.removed),
                      changed=out(found.changed), moved=found.moved)
