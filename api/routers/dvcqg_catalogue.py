"""Refreshing the procedure catalogue from the national database (DVCQG `LayThuTuc`): administrators
preview the differences, then apply the ones they saw (workflows/procedures/national.py)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Admin
from api.deps import ClockDep, DvcqgDep, SessionDep
from workflows.procedures import national

router = APIRouter(prefix="/api/v1/admin/dvcqg/catalogue", tags=["administration"])

_UPSTREAM = {409: {"description": "Danh mục đã thay đổi sau khi xem trước (catalogue_changed)"},
             502: {"description": "DVCQG từ chối (dvcqg_refused)"},
             503: {"description": "Không kết nối được DVCQG (dvcqg_unavailable)"}}


class FieldChangeOut(BaseModel):
    field: str
    label: str
    ours: str
    national: str


class ProcedureChangesOut(BaseModel):
    procedure_code: str
    national_code: str
    version: int
    changes: list[FieldChangeOut]
    problem: str | None


class CataloguePreviewOut(BaseModel):
    procedures: list[ProcedureChangesOut]
    fingerprint: str


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "fingerprint": "3f1c0b5e9a7d4c2e8b6a1f0d9c8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c",
        "procedure_codes": ["VHTTDL-LUU-TRU-1-3-SAO"]}]})
    fingerprint: str = Field(min_length=64, max_length=64)
    procedure_codes: list[str] = Field(max_length=200)


class AppliedOut(BaseModel):
    procedure_code: str
    version: int


def _out(result: national.CataloguePreview) -> CataloguePreviewOut:
    return CataloguePreviewOut(
        fingerprint=result.fingerprint,
        procedures=[ProcedureChangesOut(procedure_code=r.procedure_code, national_code=r.national_code,
                                        version=r.version, problem=r.problem,
                                        changes=[FieldChangeOut(field=c.field, label=c.label, ours=c.ours,
                                                                national=c.national) for c in r.changes])
                    for r in result.procedures])


@router.get("/changes", response_model=CataloguePreviewOut, responses=_UPSTREAM,
            summary="Xem trước thay đổi của danh mục thủ tục so với CSDLQG về TTHC")
def changes(session: SessionDep, admin: Admin, dvcqg: DvcqgDep) -> CataloguePreviewOut:
    return _out(national.preview(session, client=dvcqg))


@router.post("/apply", response_model=list[AppliedOut], responses=_UPSTREAM,
             summary="Áp dụng các thay đổi đã xem trước (tạo phiên bản thủ tục mới)")
def apply(body: ApplyIn, session: SessionDep, admin: Admin, dvcqg: DvcqgDep, clock: ClockDep) -> list[AppliedOut]:
    versions = national.apply(session, client=dvcqg, fingerprint=body.fingerprint,
                              procedure_codes=body.procedure_codes, actor=admin.username, clock=clock)
    return [AppliedOut(procedure_code=v.code, version=v.version) for v in versions]
