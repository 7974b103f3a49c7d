"""The status sync with the national portal (DVCQG): what was sent for a dossier (officials), the failed
and waiting calls of every dossier and resending one (administrators), and the signed file links DVCQG
fetches the submitted files and results from (no login: the link's signature is the authority)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import ActorDep, Admin
from api.deps import ClockDep, DomainDep, SessionDep
from api.files import attachment, download_type
from workflows import audit
from workflows.core.errors import NotFound
from workflows.core.schemas import Page
from workflows.documents import service as store_service
from workflows.documents.models import DossierDocument
from workflows.dossiers import national_sync, service
from workflows.dossiers.national_sync import SyncItemOut, SyncState

router = APIRouter(tags=["dvcqg"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Không có quyền"},
    404: {"description": "Không tìm thấy"}, 422: {"description": "Dữ liệu không hợp lệ"},
}
FETCHER = "dvcqg"  # the audit's actor of a file fetched through a signed link


@router.get("/api/v1/dossiers/{code}/dvcqg", response_model=Page[SyncItemOut], responses=ERRORS,
            summary="Đồng bộ hồ sơ với Cổng Dịch vụ công quốc gia: từng lần gửi, trạng thái, lỗi gần nhất")
def dossier_sync(code: str, session: SessionDep, actor: ActorDep) -> Page[SyncItemOut]:
    dossier = service.get_by_code(session, code=code, actor=actor)
    return Page[SyncItemOut].whole(national_sync.for_dossier(session, dossier=dossier))


@router.get("/api/v1/admin/dvcqg/sync", response_model=Page[SyncItemOut], responses=ERRORS,
            summary="Các lần đồng bộ DVCQG theo trạng thái (chờ gửi, thất bại...), mới nhất trước")
def list_sync(
    session: SessionDep, admin: Admin, status: SyncState | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[SyncItemOut]:
    items, total = national_sync.list_items(session, status=status, page=page, page_size=page_size)
    return Page[SyncItemOut](items=items, total=total, page=page, page_size=page_size)


@router.post("/api/v1/admin/dvcqg/sync/{item_id}/resend", response_model=SyncItemOut,
             responses={**ERRORS, 409: {"description": "Đang gửi hoặc đã gửi (dvcqg_sync_in_flight, "
                                                       "dvcqg_sync_already_sent)"}},
             summary="Gửi lại một lần đồng bộ DVCQG (sau khi đã khắc phục nguyên nhân)")
def resend(item_id: int, session: SessionDep, admin: Admin, clock: ClockDep) -> SyncItemOut:
    return national_sync.resend(session, item_id=item_id, actor=admin.username, now=clock.now())


@router.get("/api/v1/dvcqg/files/{token}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "Liên kết không hợp lệ "
                                                                                       "hoặc đã hết hạn"}},
            summary="Tệp của hồ sơ qua liên kết có chữ ký, có thời hạn (Cổng DVCQG tải về)")
def fetch_file(token: str, session: SessionDep, domain: DomainDep) -> Response:
    now = domain.clock.now()
    document_id = national_sync.read_link(domain.settings, token=token, now=now)
    known = session.get(DossierDocument, document_id)
    if known is None:  # the same answer as a forged link
        raise NotFound("Liên kết tệp không hợp lệ hoặc đã hết hạn.", code="file_link_invalid")
    document, content = store_service.read_document(session, store=domain.store, dossier_code=known.dossier_code,
                                                    document_id=document_id)
    audit.record(session, actor=FETCHER, action="document.download", at=now, dossier_code=document.dossier_code,
                 data={"document_id": document.id, "via": "dvcqg_link"})
    return Response(content, media_type=download_type(document.media_type), headers=attachment(document.filename))
