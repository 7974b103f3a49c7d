"""Dossiers for officials: intake, detail (masked), reveal (audited), history, search, withdrawal,
apology, documents, Zalo messages to the applicant and the applicant's Zalo conversation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from api.auth import ActorDep, ReceptionOrKey
from api.deps import DomainDep, EngineDep, SessionDep
from api.files import attachment, download_type, read_upload
from api.params import StatusFilter
from workflows.core.schemas import Page
from workflows.dossiers import files, messages, queries, registers, service
from workflows.dossiers.access import Action, ensure_may
from workflows.dossiers.schemas import (
    ApologyIn,
    DocumentOut,
    DossierCreate,
    DossierOut,
    HistoryItem,
    MessageIn,
    MessageOut,
    MessagePreviewOut,
    MessageSentOut,
    RevealIn,
    SearchByIdIn,
    WithdrawIn,
)
from workflows.tasks import service as task_service
from workflows.zalo import conversation
from workflows.zalo.schemas import ConversationOut

router = APIRouter(prefix="/api/v1/dossiers", tags=["dossiers"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Không có quyền"},
    404: {"description": "Không tìm thấy hồ sơ"}, 422: {"description": "Dữ liệu không hợp lệ"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DossierOut, responses=ERRORS,
             summary="Tiếp nhận hồ sơ (intake by the one-stop clerk or an API key)")
def create_dossier(body: DossierCreate, session: SessionDep, actor: ReceptionOrKey, engine: EngineDep,
                   domain: DomainDep) -> DossierOut:
    dossier = service.intake(session, engine=engine, services=domain, actor=actor, body=body)
    if body.accept:
        task_service.accept_at_counter(session, engine=engine, services=domain, actor=actor, dossier=dossier)
    return queries.dossier_out(session, dossier=dossier, services=domain, now=domain.clock.now())


@router.get("", response_model=Page[DossierOut], responses=ERRORS, summary="Danh sách hồ sơ của phòng")
def list_dossiers(
    session: SessionDep, actor: ActorDep, domain: DomainDep,
    status_: StatusFilter = None,
    national_status: Annotated[int | None, Query(ge=1, le=10)] = None,
    procedure_code: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: Annotated[Literal["newest", "due_at"], Query(description="newest: mới nộp trước; due_at: hạn sớm "
                                                                   "nhất trước (danh sách quá hạn)")] = "newest",
) -> Page[DossierOut]:
    ensure_may(actor, Action.VIEW)
    items, total = queries.search(session, actor=actor, services=domain, now=domain.clock.now(), status=status_,
                                national_status=national_status, procedure_code=procedure_code,
                                overdue=overdue, page=page, page_size=page_size, sort=sort)
    return Page[DossierOut](items=items, total=total, page=page, page_size=page_size)


@router.post("/search-by-id", response_model=Page[DossierOut], responses=ERRORS,
             summary="Tìm hồ sơ theo số CCCD/CMND (in the body, never in a URL; audited with its purpose)")
def search_by_id(body: SearchByIdIn, session: SessionDep, actor: ActorDep, domain: DomainDep) -> Page[DossierOut]:
    ensure_may(actor, Action.SEARCH_BY_ID)
    items, total = queries.search(session, actor=actor, services=domain, now=domain.clock.now(),
                                id_number=body.id_number, reason=body.reason, page=body.page,
                                page_size=body.page_size)
    return Page[DossierOut](items=items, total=total, page=body.page, page_size=body.page_size)


@router.get("/{code}", response_model=DossierOut, responses=ERRORS, summary="Chi tiết hồ sơ (đã che dữ liệu cá nhân)")
def get_dossier(code: str, session: SessionDep, actor: ActorDep, domain: DomainDep) -> DossierOut:
    dossier = service.get_by_code(session, code=code, actor=actor)
    return queries.dossier_out(session, dossier=dossier, services=domain, now=domain.clock.now(), actor=actor)


@router.post("/{code}/reveal", responses=ERRORS,
             summary="Xem đầy đủ thông tin cá nhân của người nộp (cần lý do; được ghi nhật ký)")
def reveal(code: str, body: RevealIn, session: SessionDep, actor: ActorDep, domain: DomainDep) -> dict[str, str | None]:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.REVEAL)
    return service.reveal(session, dossier=dossier, actor=actor, reason=body.reason, fields=list(body.fields),
                          services=domain)


@router.get("/{code}/history", response_model=Page[HistoryItem], responses=ERRORS,
            summary="Quá trình xử lý (Phiếu kiểm soát)")
def get_history(code: str, session: SessionDep, actor: ActorDep) -> Page[HistoryItem]:
    dossier = service.get_by_code(session, code=code, actor=actor)
    items = queries.history(session, dossier=dossier)
    return Page[HistoryItem].whole(items)


@router.post("/{code}/withdraw", response_model=DossierOut, responses={**ERRORS, 409: {"description": "Đã kết thúc"}},
             summary="Công dân rút hồ sơ (dừng xử lý, Mẫu 05)")
def withdraw(code: str, body: WithdrawIn, session: SessionDep, actor: ActorDep, engine: EngineDep,
             domain: DomainDep) -> DossierOut:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.WITHDRAW)
    service.withdraw(session, engine=engine, services=domain, dossier=dossier, actor=actor, reason=body.reason)
    return queries.dossier_out(session, dossier=dossier, services=domain, now=domain.clock.now())


@router.post("/{code}/apology", response_model=DossierOut, responses={**ERRORS, 409: {"description": "Đã xin lỗi"}},
             summary="Văn bản xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04, một lần)")
def apology(code: str, body: ApologyIn, session: SessionDep, actor: ActorDep, domain: DomainDep) -> DossierOut:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.APOLOGY)
    service.apologise(session, services=domain, dossier=dossier, actor=actor, reason=body.reason,
                      new_due_at=body.new_due_at)
    return queries.dossier_out(session, dossier=dossier, services=domain, now=domain.clock.now())


@router.get("/{code}/documents", response_model=Page[DocumentOut], responses=ERRORS,
            summary="Giấy tờ của hồ sơ (biểu mẫu và tệp đính kèm)")
def list_documents(code: str, session: SessionDep, actor: ActorDep) -> Page[DocumentOut]:
    dossier = service.get_by_code(session, code=code, actor=actor)
    items = files.list_for(session, dossier=dossier)
    return Page[DocumentOut].whole(items)


@router.post("/{code}/documents", status_code=status.HTTP_201_CREATED, response_model=DocumentOut,
             responses={**ERRORS, 413: {"description": "Tệp quá lớn"}}, summary="Tải lên tệp đính kèm")
def upload_document(code: str, session: SessionDep, actor: ActorDep, domain: DomainDep,
                    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG")],
                    note: Annotated[str | None, Form(max_length=500)] = None) -> DocumentOut:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.UPLOAD)
    upload = read_upload(file, max_bytes=domain.settings.storage.max_upload_bytes)
    return files.upload(session, dossier=dossier, actor=actor, services=domain, upload=upload, note=note)


@router.get("/{code}/documents/{document_id}", responses={**ERRORS, 200: {"content": {"application/pdf": {}}}},
            summary="Tải về một giấy tờ", response_class=Response)
def download_document(code: str, document_id: int, session: SessionDep, actor: ActorDep,
                      domain: DomainDep) -> Response:
    dossier = service.get_by_code(session, code=code, actor=actor)
    document, content = files.download(session, dossier=dossier, document_id=document_id, actor=actor,
                                           services=domain)
    return Response(content, media_type=download_type(document.media_type),
                    headers=attachment(document.filename))


@router.post("/{code}/control-slip", status_code=status.HTTP_201_CREATED, response_model=DocumentOut,
             responses=ERRORS, summary="Lập Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 06) tại thời điểm này")
def control_slip(code: str, session: SessionDep, actor: ActorDep, domain: DomainDep) -> DocumentOut:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.CONTROL_SLIP)
    document = registers.control_slip(session, dossier=dossier, actor=actor, services=domain)
    return DocumentOut.model_validate(document, from_attributes=True)


@router.get("/{code}/messages", response_model=Page[MessageSentOut], responses=ERRORS,
            summary="Tin nhắn Zalo đã gửi người nộp hồ sơ: nội dung, trạng thái, tệp không gửi được và lý do")
def list_messages(code: str, session: SessionDep, actor: ActorDep) -> Page[MessageSentOut]:
    dossier = service.get_by_code(session, code=code, actor=actor)
    items = messages.list_sent(session, dossier=dossier)
    return Page[MessageSentOut].whole(items)


@router.post("/{code}/messages", status_code=status.HTTP_202_ACCEPTED, response_model=MessageOut,
             responses=ERRORS, summary="Gửi tin nhắn Zalo cho người nộp hồ sơ (qua hàng đợi)")
def send_message(code: str, body: MessageIn, session: SessionDep, actor: ActorDep, domain: DomainDep) -> MessageOut:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.MESSAGE)
    return messages.send(session, dossier=dossier, actor=actor, services=domain, text=body.text,
                         document_id=body.document_id)


@router.post("/{code}/messages/preview", response_model=MessagePreviewOut, responses=ERRORS,
             summary="Xem trước tin nhắn Zalo: nội dung công dân sẽ đọc và cách gửi tệp (không gửi gì)")
def preview_message(code: str, body: MessageIn, session: SessionDep, actor: ActorDep,
                    domain: DomainDep) -> MessagePreviewOut:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.MESSAGE)
    return messages.preview(session, dossier=dossier, actor=actor, services=domain, text=body.text,
                            document_id=body.document_id)


@router.get("/{code}/zalo-conversation", response_model=ConversationOut, responses=ERRORS,
            summary="Hội thoại Zalo của người nộp hồ sơ với OA: công dân, hệ thống, cán bộ qua OA (ghi nhật ký)")
def zalo_conversation(code: str, session: SessionDep, actor: ActorDep, domain: DomainDep) -> ConversationOut:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.ZALO_CONVERSATION)
    return conversation.for_dossier(session, dossier=dossier, actor=actor, services=domain)
