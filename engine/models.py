"""Engine tables: definitions, instances (instance-only Spiff JSON), work items, incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _dt(*, nullable: bool, index: bool = False) -> Any:
    return Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)
    )


class ProcessDefinition(SQLModel, table=True):
    __tablename__ = "process_definition"
    __table_args__ = (
        sa.UniqueConstraint("key", "version", name="uq_process_definition_key_version"),
        sa.UniqueConstraint("key", "sha256", name="uq_process_definition_key_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    version: int
    sha256: str = Field(max_length=64)
    filename: str = Field(max_length=300)
    bpmn_xml: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    spec_json: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    deployed_at: datetime = _dt(nullable=False)


class ProcessInstance(SQLModel, table=True):
    __tablename__ = "process_instance"

    id: int | None = Field(default=None, primary_key=True)
    definition_id: int = Field(foreign_key="process_definition.id", index=True)
    process_key: str = Field(max_length=200, index=True)
    business_key: str = Field(max_length=200, index=True)
    status: str = Field(max_length=20, index=True)
    state_json: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    serializer_version: str = Field(max_length=20)
    # Optimistic lock: every save is UPDATE ... WHERE version = <read version>.
    version: int = Field(default=0)
    next_timer_at: datetime | None = _dt(nullable=True, index=True)
    created_at: datetime = _dt(nullable=False)
    updated_at: datetime = _dt(nullable=False)
    completed_at: datetime | None = _dt(nullable=True)


class WorkItem(SQLModel, table=True):
    __tablename__ = "work_item"

    id: str = Field(primary_key=True, max_length=36)  # the Spiff task UUID
    instance_id: int = Field(foreign_key="process_instance.id", index=True)
    business_key: str = Field(max_length=200, index=True)
    process_key: str = Field(max_length=200)
    element_id: str = Field(max_length=200)
    name: str | None = Field(default=None, max_length=300)
    title: str | None = Field(default=None, max_length=300)
    lane: str | None = Field(default=None, max_length=100, index=True)
    form_schema: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    assignee: str | None = Field(default=None, max_length=200, index=True)
    state: str = Field(default="open", max_length=20, index=True)
    due_at: datetime | None = _dt(nullable=True, index=True)
    created_at: datetime = _dt(nullable=False)
    completed_at: datetime | None = _dt(nullable=True)
    completed_by: str | None = Field(default=None, max_length=200)

    # Task lists: "mine" (assignee) and "candidate" (lane), open ones, soonest due first.
    __table_args__ = (
        sa.Index("ix_work_item_assignee_state_due", "assignee", "state", "due_at"),
        sa.Index("ix_work_item_lane_state_due", "lane", "state", "due_at"),
    )


class Incident(SQLModel, table=True):
    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="process_instance.id", index=True)
    element_id: str | None = Field(default=None, max_length=200)
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _dt(nullable=False)
    resolved_at: datetime | None = _dt(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=200)
