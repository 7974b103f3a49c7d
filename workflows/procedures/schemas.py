"""API shapes of the catalogue (docs API.md: `GET /api/v1/procedures` and `/procedures/{code}`), of its
citizens' view (`/public/procedures`), of an administrator's edit, and of the deployed process definitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflows.procedures.models import ProcedureVersion
from workflows.procedures.spec import (
    Competence,
    DocumentRequirement,
    Fee,
    IntakeField,
    Step,
    SupplementPolicy,
    TimeLimit,
)


class ProcedurePublic(BaseModel):
    """A list item. `fee` is the fee table (name, amount in VND or null, condition); empty when free."""

    code: str
    national_code: str | None
    name: str
    field: str
    authority: str
    time_limit: TimeLimit
    fee: list[Fee]
    intake_fields: list[IntakeField] = []  # facts to declare at intake (`facts`) that pick the fee
    process_key: str
    documents: list[DocumentRequirement]
    version: int
    competence: Competence | None = None  # who decides: the level, the agency (cấp tỉnh), the handling unit

    @classmethod
    def from_version(cls, version: ProcedureVersion) -> ProcedurePublic:
        return cls.model_validate(_fields(version))


class ProcedureDetail(ProcedurePublic):
    """One procedure with everything an official or a form needs."""

    id: int
    level: str
    result: str
    legal_basis: str
    supplement_policy: SupplementPolicy
    has_financial_obligation: bool
    requires_site_inspection: bool
    steps: list[Step]
    sha256: str
    active: bool
    created_at: datetime
    created_by: str

    @classmethod
    def from_version(cls, version: ProcedureVersion) -> ProcedureDetail:
        return cls.model_validate(
            {
                **_fields(version),
                "id": version.id,
                "level": version.level,
                "result": version.result,
                "legal_basis": version.legal_basis,
                "supplement_policy": version.supplement_policy,
                "has_financial_obligation": version.has_financial_obligation,
                "requires_site_inspection": version.requires_site_inspection,
                "steps": version.steps,
                "sha256": version.sha256,
                "active": version.active,
                "created_at": version.created_at,
                "created_by": version.created_by,
            }
        )


def _fields(version: ProcedureVersion) -> dict[str, object]:
    return {
        "code": version.code,
        "national_code": version.national_code,
        "name": version.name,
        "field": version.field,
        "authority": version.authority,
        "time_limit": {"value": version.time_limit_value, "unit": version.time_limit_unit},
        "fee": version.fees,
        "intake_fields": version.intake_fields or [],
        "process_key": version.process_key,
        "documents": version.documents,
        "version": version.version,
        "competence": version.competence,
    }


# The name the API router uses: the detail shape, a superset of the list item of API.md.
ProcedureOut = ProcedureDetail


class ProcedureChanges(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"changes": {"time_limit": {"value": 4}}, "reason": "QĐ số 12/QĐ-UBND rút ngắn thời hạn"}]})
    changes: dict[str, Any] = Field(description="Fields of the procedure to replace (time_limit is merged)")
    reason: str = Field(min_length=5, max_length=500, description="Căn cứ thay đổi")


class PublicProcedure(BaseModel):
    """A procedure as citizens read it: documents, fees, time limit, where to submit."""

    code: str
    name: str
    field: str
    authority: str
    time_limit: str
    fees: list[str]
    documents: list[str]
    result: str
    where_to_submit: str


class ProcedureList(BaseModel):
    items: list[PublicProcedure]


class DefinitionOut(BaseModel):
    """A deployed BPMN process definition (one version of one process key)."""

    key: str
    version: int
    sha256: str
    deployed_at: Any
    filename: str | None = None
