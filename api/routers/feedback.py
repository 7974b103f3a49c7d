"""Officials' side of feedback cases (phản ánh, kiến nghị): list, detail, complete the case's tasks."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import ActorDep
from api.deps import DomainDep, EngineDep, SessionDep
from api.files import attachment, download_type
from workflows.feedback import attachments
from workflows.feedback import service as feedback
from workflows.feedback.schemas import FeedbackCompleteIn, FeedbackList, FeedbackOut

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"},
    404: {"description": "Không tìm thấy phản ánh hoặc công việc"},
    409: {"description": "Công việc đã hoàn thành"},
    422: {"description": "Dữ liệu biểu mẫu không hợp lệ"},
}


@router.get("", response_model=FeedbackList, responses=ERRORS, summary="Danh sách phản ánh, kiến nghị")
def list_cases(
    session: SessionDep, actor: ActorDep, domain: DomainDep, status: str | None = None
) -> FeedbackList:
    cases = feedback.list_cases(session, actor=actor, status=status)
    return FeedbackList(items=[feedback.case_out(session, case=c, services=domain) for c in cases])


@router.get("/{code}", response_model=FeedbackOut, responses=ERRORS, summary="Chi tiết phản ánh, kiến nghị")
def get_case(code: str, session: SessionDep, actor: ActorDep, domain: DomainDep) -> FeedbackOut:
    return feedback.case_out(
        session, case=feedback.get_case(session, code=code, actor=actor), services=domain
    )


@router.get("/{code}/attachments/{attachment_id}", response_class=Response, summary="Tải về ảnh công dân gửi kèm",
            responses={**ERRORS, 200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def download_attachment(code: str, attachment_id: int, session: SessionDep, actor: ActorDep,
                        domain: DomainDep) -> Response:
    """A photo the citizen sent in the Zalo chat, for whoever may open the case; the read is audited."""
    case = feedback.get_case(session, code=code, actor=actor)
    row, content = attachments.read_photo(session, case=case, attachment_id=attachment_id, actor=actor,
                                          services=domain)
    return Response(content, media_type=download_type(row.content_type or ""),
                    headers={**attachment(row.filename or "anh"), "X-Content-Type-Options": "nosniff"})


@router.post(
    "/{code}/tasks/{task_id}/complete",
    response_model=FeedbackOut,
    responses=ERRORS,
    summary="Hoàn thành một bước xử lý phản ánh",
)
def complete(
    code: str,
    task_id: str,
    body: FeedbackCompleteIn,
    session: SessionDep,
    actor: ActorDep,
    engine: EngineDep,
    domain: DomainDep,
) -> FeedbackOut:
    case = feedback.complete_task(
        session, engine=engine, services=domain, actor=actor, code=code, task_id=task_id, data=body.data
    )
    return feedback.case_out(session, case=case, services=domain)
