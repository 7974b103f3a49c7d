"""What the process designers' endpoints answer (`/api/v1/process-definitions/…`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
