"""What the process designers' endpoints answer (`/api/v1/process-definitions/…`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """One reason a BPMN file cannot be deployed, on the element it concerns (deploy's 422 `errors` items)."""

    field: str = Field(description="The BPMN element id, or `xml` for the file as a whole")
    line: int | None = None
    message: str


class ElementOut(BaseModel):
    element_id: str
    type: str = Field(description="BPMN element type (local name): userTask, serviceTask, sequenceFlow, lane…")
    name: str | None = None
    aspects: list[str] = Field(default_factory=list,
                               description="For a changed element: name, attributes, extension, condition…")


class ChangesOut(BaseModel):
    """Elements added, removed, changed (by id) from `base_version` to the newer one; `moved`: only drawn
    elsewhere. `base_version` null: nothing deployed before, every element is new."""

    base_version: int | None
    added: list[ElementOut]
    removed: list[ElementOut]
    changed: list[ElementOut]
    moved: list[str]


class ValidationOut(BaseModel):
    valid: bool
    key: str | None = Field(description="The process key (the executable process's id) when the XML names one")
    problems: list[Problem]
    changes: ChangesOut | None = Field(
        description="What a deploy would change against the latest deployed version of `key`")


class VersionChangesOut(ChangesOut):
    key: str
    version: int


class ElementWaitingOut(BaseModel):
    element_id: str
    waiting: int = Field(description="Unfinished instances with an open work item at this element")
    incidents: int = Field(description="Unfinished instances stopped at this element by an open incident")


class WaitingOut(BaseModel):
    key: str
    version: int
    instances: int = Field(description="Unfinished instances of this version")
    elements: list[ElementWaitingOut]


class Choice(BaseModel):
    value: str
    label: str


class TemplateParam(BaseModel):
    name: str
    label: str
    required: bool
    choices: list[Choice] | None = None


class ServiceTaskTemplate(BaseModel):
    operator: str = Field(description="`spiffworkflow:serviceTaskOperator` id")
    label: str
    params: list[TemplateParam]


class UserTaskProperty(BaseModel):
    name: str = Field(description="`spiffworkflow:property` name")
    label: str


class UserTaskTemplate(BaseModel):
    roles: list[Choice] = Field(description="The lane names a user task may sit in: the role codes")
    properties: list[UserTaskProperty]


class ElementTemplatesOut(BaseModel):
    service_tasks: list[ServiceTaskTemplate]
    user_task: UserTaskTemplate


# ---- migrations of running instances (workflows.process.migration) ------------------------------------------

ElementId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z_][\w.\-]*$")]


class MigrationIn(BaseModel):
    """A batch migration of the unfinished instances of a process key to one of its versions."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"to_version": 2, "mapping": {"xem_xet": "xem_xet_trinh_ky"}, "dry_run": True}]})

    to_version: int | None = Field(default=None, ge=1, le=1_000_000,
                                   description="The version to move to; the latest when left out")
    mapping: dict[ElementId, ElementId] = Field(
        default_factory=dict, max_length=500,
        description="Old element id -> element id of the new version; an element not named keeps its id")
    dry_run: bool = Field(default=True, description="Only say which instances can move and why not (the "
                                                    "default: applying must be asked for)")
    batch_size: int = Field(default=50, ge=1, le=500, description="Instances per batch when applying")


class ReasonOut(BaseModel):
    code: str = Field(description="element_missing, timer, subprocess, incident, type_changed, "
                                  "changed_meanwhile, failed")
    element_id: str | None = None
    message: str = Field(description="Why, for people (Vietnamese)")


class StepMoveOut(BaseModel):
    from_element: str
    to_element: str


class InstanceMigrationOut(BaseModel):
    instance_id: int
    business_key: str = Field(description="The dossier's (or feedback case's) code")
    from_version: int
    outcome: str = Field(description="Dry run: movable | refused. Applied: moved | refused | failed")
    reasons: list[ReasonOut]
    steps: list[StepMoveOut] = Field(description="Where each open step goes")
    dropped: list[str] = Field(description="Finished history on elements the new version no longer has")


class MigrationPlanOut(BaseModel):
    """A dry run: nothing was written."""

    dry_run: bool = True
    key: str
    to_version: int
    mapping: dict[str, str]
    total: int
    movable: int
    refused: int
    instances: list[InstanceMigrationOut]


class MigrationSummaryOut(BaseModel):
    id: int
    key: str
    to_version: int
    mapping: dict[str, str]
    batch_size: int
    actor_label: str = Field(description="Who applied it: full name and title")
    started_at: datetime
    finished_at: datetime | None
    total: int
    moved: int
    refused: int
    failed: int


class MigrationOut(MigrationSummaryOut):
    dry_run: bool = False
    instances: list[InstanceMigrationOut]
