"""Shapes of officials' tasks (the open work items of a dossier's process) and of completing one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import VnDateTime


class TaskOut(BaseModel):
    id: str
    step: str
    name: str
    title: str
    dossier_code: str
    procedure_code: str
    role: str | None
    assignee: str | None
    created_at: VnDateTime
    due_at: VnDateTime | None
    overdue: bool
    form_schema: dict[str, Any] | None
    # What an inbox shows beside the step (issue 21): the dossier's procedure, status, applicant (officials
    # see the name; ID and phone stay masked on the dossier) and appointment; due soon by the reminders' rule.
    due_soon: bool = Field(default=False, description="Not yet due, within half a working day of due_at "
                                                      "(at most half the step's own time), as the reminders")
    procedure_name: str = ""
    dossier_status: str = ""
    dossier_status_name: str = ""
    applicant_name: str = ""
    dossier_due_at: VnDateTime | None = None


class TaskCount(BaseModel):
    total: int
    overdue: int


class TaskCounts(BaseModel):
    """The inbox's tabs, under the same filters as the list: `mine` (assigned to the caller), `candidate`
    (unclaimed in the caller's lanes) and `all` (the department's: what `scope=all` lists)."""

    mine: TaskCount
    candidate: TaskCount
    all: TaskCount


class CompleteOut(BaseModel):
    dossier_code: str
    status: str
    national_status: int
    process_status: str
    next_tasks: list[TaskOut]


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"data": {"quyet_dinh": "tiep_nhan"}}, {"data": {"case_officer": "chuyen_vien"}}]})
    data: dict[str, Any] = Field(default_factory=dict, description="Form data, validated against form_schema")
    expected_version: int | None = Field(default=None, description="Optimistic check of the dossier's process")
