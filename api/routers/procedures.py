"""The procedure catalogue and the deployed process definitions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Response, UploadFile, status

from api.auth import ActorDep, Admin, require_roles
from api.deps import DomainDep, EngineDep, SessionDep
from workflows import incidents
from workflows.core.errors import PayloadTooLarge
from workflows.core.schemas import Page
from workflows.identity.actor import Actor
from workflows.identity.models import Role
from workflows.procedures import service as procedures
from workflows.procedures.schemas import DefinitionOut, ProcedureOut
from workflows.process import designer, migration
from workflows.process.schemas import (
    ElementTemplatesOut,
    MigrationIn,
    MigrationOut,
    MigrationPlanOut,
    MigrationSummaryOut,
    ValidationOut,
    VersionChangesOut,
    WaitingOut,
)

router = APIRouter(prefix="/api/v1", tags=["procedures"])

MAX_BPMN_BYTES = 2 * 1024 * 1024
# Where instances wait: the administrator who changes a process, and the province-wide supervisors (counts
# only, across every agency, which they see anyway); docs/ACCESS.md.
Watcher = Annotated[Actor, Depends(require_roles(Role.QUAN_TRI, Role.GIAM_SAT_TINH))]
Key = Annotated[str, Path(max_length=200, description="Process key (the BPMN process id)")]
Version = Annotated[int, Path(ge=1, le=1_000_000, description="Version number")]
BpmnFile = Annotated[UploadFile, File(description="A .bpmn file")]


def _read(file: UploadFile) -> bytes:
    content = file.file.read(MAX_BPMN_BYTES + 1)
    if len(content) > MAX_BPMN_BYTES:
        raise PayloadTooLarge("Tệp BPMN quá lớn (tối đa 2 MB).")
    return content


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
           file: BpmnFile) -> DefinitionOut:
    result = engine.deploy(session, content=_read(file), filename=file.filename or "upload.bpmn")
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


@router.post("/process-definitions/validate", response_model=ValidationOut,
             summary="Kiểm tra tệp BPMN như khi triển khai, không triển khai (QUAN_TRI)")
def validate_definition(session: SessionDep, admin: Admin, engine: EngineDep, file: BpmnFile) -> ValidationOut:
    return designer.validate(session, engine=engine, content=_read(file), filename=file.filename or "upload.bpmn")


@router.get("/process-definitions/element-templates", response_model=ElementTemplatesOut,
            summary="Mẫu phần tử cho trình soạn thảo: service task, user task")
def element_templates(actor: ActorDep, engine: EngineDep) -> ElementTemplatesOut:
    return designer.element_templates(engine=engine)


@router.get("/process-definitions/{key}/versions/{version}/changes", response_model=VersionChangesOut,
            responses={404: {"description": "Không có phiên bản này"}},
            summary="Khác biệt của một phiên bản so với phiên bản trước")
def definition_changes(key: Key, version: Version, session: SessionDep, actor: ActorDep,
                       engine: EngineDep) -> VersionChangesOut:
    return designer.version_changes(session, engine=engine, key=key, version=version)


@router.get("/process-definitions/{key}/versions/{version}/waiting", response_model=WaitingOut,
            responses={404: {"description": "Không có phiên bản này"}},
            summary="Số hồ sơ đang chờ tại mỗi phần tử (QUAN_TRI, GIAM_SAT_TINH)")
def definition_waiting(key: Key, version: Version, session: SessionDep, watcher: Watcher,
                       engine: EngineDep) -> WaitingOut:
    return designer.waiting(session, engine=engine, key=key, version=version)


@router.post("/process-definitions/{key}/migrations", response_model=MigrationPlanOut | MigrationOut,
             responses={201: {"description": "Đã chuyển: kết quả từng hồ sơ", "model": MigrationOut},
                        404: {"description": "Không có quy trình hoặc phiên bản này"},
                        422: {"description": "Ánh xạ nêu phần tử không có (`errors`: `mapping.<mã>`)"}},
             summary="Chuyển các hồ sơ đang chạy sang phiên bản khác: chạy thử hoặc áp dụng (QUAN_TRI)")
def migrate_instances(key: Key, body: MigrationIn, session: SessionDep, admin: Admin, engine: EngineDep,
                      response: Response) -> MigrationPlanOut | MigrationOut:
    if body.dry_run:
        return migration.plan(session, engine=engine, key=key, to_version=body.to_version, mapping=body.mapping)
    response.status_code = status.HTTP_201_CREATED
    return migration.apply(session, engine=engine, actor=admin, key=key, to_version=body.to_version,
                           mapping=body.mapping, batch_size=body.batch_size)


@router.get("/process-definitions/{key}/migrations", response_model=Page[MigrationSummaryOut],
            summary="Các lần chuyển phiên bản đã áp dụng cho một quy trình (QUAN_TRI)")
def list_migrations(key: Key, session: SessionDep, admin: Admin) -> Page[MigrationSummaryOut]:
    return Page[MigrationSummaryOut].whole(migration.history(session, key=key))


@router.get("/process-definitions/{key}/migrations/{migration_id}", response_model=MigrationOut,
            responses={404: {"description": "Không có lần chuyển này"}},
            summary="Một lần chuyển phiên bản: kết quả từng hồ sơ (QUAN_TRI)")
def get_migration(key: Key, migration_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
                  admin: Admin) -> MigrationOut:
    return migration.get(session, key=key, migration_id=migration_id)


@router.get("/incidents", summary="Sự cố xử lý quy trình (QUAN_TRI)")
def list_incidents(session: SessionDep, admin: Admin, domain: DomainDep) -> dict[str, Any]:
    items = incidents.list_open(session)
    return {"items": items, "total": len(items), "page": 1, "page_size": max(len(items), 1)}


@router.post("/incidents/{incident_id}/retry", summary="Chạy lại bước bị lỗi (QUAN_TRI)")
def retry_incident(incident_id: int, session: SessionDep, admin: Admin, engine: EngineDep,
                   domain: DomainDep) -> dict[str, Any]:
    return incidents.retry(session, engine=engine, services=domain, actor=admin, incident_id=incident_id)
