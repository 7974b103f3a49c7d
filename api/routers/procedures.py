"""The procedure catalogue and the deployed process definitions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Response, UploadFile, status

from api.auth import ActorDep, Admin
from api.deps import DomainDep, EngineDep, SessionDep
from workflows import incidents
from workflows.core.errors import PayloadTooLarge
from workflows.core.schemas import Page
from workflows.procedures import service as procedures
from workflows.procedures.schemas import DefinitionOut, ProcedureOut

router = APIRouter(prefix="/api/v1", tags=["procedures"])

MAX_BPMN_BYTES = 2 * 1024 * 1024


@router.get("/procedures", response_model=Page[ProcedureOut], summary="Danh mục thủ tục hành chính")
def list_procedures(session: SessionDep, actor: ActorDep) -> Page[ProcedureOut]:
    items = [procedures.to_out(p) for p in procedures.list_current(session)]
    return Page[ProcedureOut].whole(items)


@router.get("/procedures/{code}", response_model=ProcedureOut, responses={404: {"description": "Không có"}},
            summary="Chi tiết một thủ tục (phiên bản hiện hành)")
def get_procedure(code: str, session: SessionDep, actor: ActorDep) -> ProcedureOut:
    return procedures.to_out(procedures.current(session, code=code))


@router.post("/process-definitions", response_model=DefinitionOut, status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "Nội dung đã có: cùng phiên bản"},
                        422: {"description": "BPMN không hợp lệ; `errors` nêu mã phần tử"}},
             summary="Triển khai tệp BPMN (QUAN_TRI)")
def deploy(session: SessionDep, admin: Admin, engine: EngineDep, response: Response,
           file: Annotated[UploadFile, File(description="A .bpmn file")]) -> DefinitionOut:
    content = file.file.read(MAX_BPMN_BYTES + 1)
    if len(content) > MAX_BPMN_BYTES:
        raise PayloadTooLarge("Tệp BPMN quá lớn (tối đa 2 MB).")
    result = engine.deploy(session, content=content, filename=file.filename or "upload.bpmn")
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return DefinitionOut(key=result.key, version=result.version, sha256=result.sha256,
                         deployed_at=result.deployed_at)


@router.get("/process-definitions", response_model=Page[DefinitionOut], summary="Các quy trình đã triển khai")
def list_definitions(session: SessionDep, actor: ActorDep, engine: EngineDep) -> Page[DefinitionOut]:
    items = [DefinitionOut(key=d.key, version=d.version, sha256=d.sha256, deployed_at=d.deployed_at,
                           filename=d.filename) for d in engine.definitions(session)]
    return Page[DefinitionOut].whole(items)


@router.get("/process-definitions/{key}/versions/{version}/xml", response_class=Response,
            responses={200: {"content": {"application/xml": {}}}}, summary="Tệp BPMN của một phiên bản")
def definition_xml(key: str, version: int, session: SessionDep, actor: ActorDep, engine: EngineDep) -> Response:
    return Response(engine.definition_xml(session, key=key, version=version), media_type="application/xml")


@router.get("/incidents", summary="Sự cố xử lý quy trình (QUAN_TRI)")
def list_incidents(session: SessionDep, admin: Admin, domain: DomainDep) -> dict[str, Any]:
    items = incidents.list_open(session)
    return {"items": items, "total": len(items), "page": 1, "page_size": max(len(items), 1)}


@router.post("/incidents/{incident_id}/retry", summary="Chạy lại bước bị lỗi (QUAN_TRI)")
def retry_incident(incident_id: int, session: SessionDep, admin: Admin, engine: EngineDep,
                   domain: DomainDep) -> dict[str, Any]:
    return incidents.retry(session, engine=engine, services=domain, actor=admin, incident_id=incident_id)
