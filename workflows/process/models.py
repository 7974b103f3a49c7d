"""Migrations of running instances to another version of their process: the batch an administrator applied
and what became of each instance (`workflows.process.migration`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class InstanceMigration(SQLModel, table=True):
    """One applied migration: the unfinished instances of `process_key` on other versions, moved to
    `to_version` with `mapping` (old element id -> new); counts of what happened."""

    __tablename__ = "instance_migration"

    id: int | None = Field(default=None, primary_key=True)
    process_key: str = Field(max_length=200, index=True)
    to_version: int
    mapping: dict[str, str] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    batch_size: int
    actor: str = Field(max_length=120)
    actor_label: str = Field(max_length=300)  # full name and title, as people read them
    started_at: datetime = _ts(nullable=False, index=True)
    finished_at: datetime | None = _ts(nullable=True)
    total: int = 0
    moved: int = 0
    refused: int = 0
    failed: int = 0


class InstanceMigrationItem(SQLModel, table=True):
    """One instance in a migration: `moved`, `refused` (something stood in the way, `reasons`) or `failed`
    (it changed meanwhile, or the move failed; it stays on its version either way)."""

    __tablename__ = "instance_migration_item"

    id: int | None = Field(default=None, primary_key=True)
    migration_id: int = Field(foreign_key="instance_migration.id", index=True)
    instance_id: int = Field(index=True)
    business_key: str = Field(max_length=200, index=True)
    from_version: int
    outcome: str = Field(max_length=20)
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    steps: list[dict[str, str]] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    dropped: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    at: datetime = _ts(nullable=False)
