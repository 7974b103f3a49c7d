"""Shapes of officials' tasks (the open work items of a dossier's process) and of completing one."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import VnDateTime
from workflows.core.schemas import StrictIn


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
    # How the caller holds it by a hand-over (issue 23): "Được giao lại bởi Trần Văn Minh, Trưởng phòng …"
    # or "Thay Lê Thị Hương (ủy quyền đến 30/11/2026)"; None for an ordinary task.
    handover: str | None = Field(default=None, description="Reassigned to the caller, or held for a delegator")


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


class ReassignIn(StrictIn):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [
        {"to_official": "chuyen_vien_2", "reason": "Chuyên viên Lê Thị Hương nghỉ ốm, giao đồng chí Ngọc Anh"}]})
    to_official: str = Field(min_length=1, max_length=64, description="Login of the official who receives it")
    reason: str = Field(min_length=1, max_length=1000, description="Lý do giao lại")


class DelegationIn(StrictIn):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [
        {"delegate": "chuyen_vien_2", "starts_on": "2026-11-25", "ends_on": "2026-11-27",
         "reason": "Nghỉ phép năm"}]})
    delegate: str = Field(min_length=1, max_length=64, description="Login of the official who stands in")
    starts_on: date = Field(description="Từ ngày (Vietnam day, inclusive)")
    ends_on: date = Field(description="Đến ngày (Vietnam day, inclusive)")
    reason: str = Field(min_length=1, max_length=1000, description="Lý do ủy quyền")


class DelegationOut(BaseModel):
    """A delegation given or received; both officials by full name and title."""

    id: int
    delegator: str
    delegate: str
    starts_on: date
    ends_on: date
    reason: str
    active: bool
    revoked_at: VnDateTime | None
