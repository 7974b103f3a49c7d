"""Hand-overs of officials' work: a division head's reassignment of one task, an official's delegation of
all their tasks for a period (docs/OPERATIONS.md, "Reassignment and delegation"). Officials are named by
login here, as `WorkItem.assignee` is; people read them by full name and title (`workflows.identity.naming`)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class TaskReassignment(SQLModel, table=True):
    """One reassignment of an open work item (append-only): from whom (None: it was unclaimed), to whom, by
    which division head, why. The latest row of an item whose `to_assignee` still holds it marks it in the
    receiver's inbox ("Được giao lại bởi …")."""

    __tablename__ = "task_reassignment"

    id: int | None = Field(default=None, primary_key=True)
    work_item_id: str = Field(max_length=36, index=True)
    dossier_code: str = Field(max_length=64, index=True)
    from_assignee: str | None = Field(default=None, max_length=64)
    to_assignee: str = Field(max_length=64)
    by: str = Field(max_length=64)
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    at: datetime = _ts(nullable=False)


class Delegation(SQLModel, table=True):
    """`delegator` (on leave) lets `delegate` see and complete the tasks assigned to them from `starts_on` to
    `ends_on`, Vietnam days inclusive, unless revoked. Never followed in chains: a delegate's own delegation
    does not pass the delegator's tasks on."""

    __tablename__ = "delegation"

    id: int | None = Field(default=None, primary_key=True)
    delegator: str = Field(max_length=64, index=True)
    delegate: str = Field(max_length=64, index=True)
    starts_on: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    ends_on: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts()
    revoked_by: str | None = Field(default=None, max_length=64)
