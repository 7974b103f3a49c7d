"""The `procedure_version` table: immutable versions of each administrative procedure. A dossier
freezes the version id it was received under; edits create version n+1 and retire the old one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class ProcedureVersion(SQLModel, table=True):
    __tablename__ = "procedure_version"
    __table_args__ = (sa.UniqueConstraint("code", "version", name="uq_procedure_version_code_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    national_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    name: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    field: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    authority: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    level: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    time_limit_value: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    time_limit_unit: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    fees: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    # Facts declared at intake that pick the fee (spec.IntakeField); None on versions from before them.
    intake_fields: list[dict[str, Any]] | None = Field(default=None, sa_column=sa.Column(sa.JSON(), nullable=True))
    documents: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    result: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    legal_basis: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    supplement_policy: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    has_financial_obligation: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    requires_site_inspection: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    process_key: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    steps: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    # Who decides (spec.Competence: level, agency, unit); None on versions from before agencies (issue 20).
    competence: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON(), nullable=True))
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    active: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
