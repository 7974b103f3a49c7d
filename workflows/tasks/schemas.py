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
