"""Citizens' endpoints (no login): dossier lookup three ways, satisfaction rating, feedback, procedure
catalogue, news.

Lookups and feedback are rate limited per client (keyed hash of the address, `api/clients.py`) in the
database, before the request's own transaction begins; every check of a second factor (lookup by code or by
ID number, the rating, the citizen's documents and their download) first spends one attempt of the
dossier's or the ID number's shared budget, whatever the client (`workflows/lookup/budget.py`). Both are
the gate's (`api/gate.py`), which also commits a refusal's audit entry before the refusal answers.
Verifiers and ID numbers travel only in POST bodies, never in URLs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile

from api.deps import DomainDep, EngineDep, SessionDep
from api.files import attachment, download_type, read_upload
from api.gate import Gate
from workflows.core import ratelimit
from workflows.core.clock import to_local
from workflows.feedback import service as feedback
from workflows.feedback.schemas import FeedbackCreated, FeedbackIn
from workflows.lookup import budget, downloads, processing, verify
from workflows.lookup import service as lookup
from workflows.lookup.schemas import (
    CitizenDocumentList,
    CitizenDocumentsIn,
    DossierList,
    LookupByCodeIn,
    LookupByIdIn,
    LookupByNameIn,
    LookupResult,
    NameMatchList,
    ProcessingAnswer,
    ProcessingIn,
    VerifyResult,
)
from workflows.news import service as news
from workflows.news.schemas import NewsList
from workflows.procedures import queries as catalogue
from workflows.procedures.schemas import ProcedureList
from workflows.ratings import service as rating
from workflows.ratings.schemas import RatingCreated, RatingIn

router = APIRouter(prefix="/api/v1/public", tags=["citizens"])

REFUSALS: dict[int | str, dict[str, object]] = {
    404: {"description": "Không tìm thấy hồ sơ khớp mã và thông tin xác minh (code lookup_not_found)"},
    422: {"description": "Thiếu hoặc sai dạng thông tin xác minh"},
    429: {"description": "Quá nhiều yêu cầu từ một máy (rate_limited), hoặc thông tin xác minh của hồ sơ / số "
                        "CCCD đã bị nhập sai quá nhiều lần (second_factor_locked); header Retry-After cho "
                        "biết số giây cần chờ"},
}


@router.post("/lookup", response_model=LookupResult, responses=REFUSALS, summary="Tra cứu hồ sơ theo mã")
def lookup_by_code(body: LookupByCodeIn, gate: Gate, session: SessionDep, domain: DomainDep) -> LookupResult:
    with gate.second_factor(budget.dossier_subject, body.code):
        result = lookup.by_code(session, services=domain, code=body.code, verifier=body.verifier, actor=gate.actor)
        if result is None:
            raise lookup.refusal()
    # What the message buttons promise ("Xem Giấy tiếp nhận…", "Đánh giá"): the forms and the rating form.
    result.documents = downloads.issued(session, dossier_code=result.code)
    result.satisfaction = rating.state_of(session, code=result.code)
    return result


@router.post("/processing", response_model=ProcessingAnswer, responses=REFUSALS,
             summary="Ai đã xử lý dữ liệu cá nhân trong hồ sơ của tôi (Luật 91/2025) — cần yếu tố xác thực")
def processing_of(body: ProcessingIn, gate: Gate, session: SessionDep, domain: DomainDep) -> ProcessingAnswer:
    # The lookup's second factor, so the same shared budget of the dossier.
    with gate.second_factor(budget.dossier_subject, body.code):
        answer = processing.answer(session, services=domain, code=body.code, verifier=body.verifier,
                                   actor=gate.actor)
        if answer is None:
            raise lookup.refusal()
    return answer


@router.post(
    "/ratings",
    status_code=201,
    response_model=RatingCreated,
    responses={**REFUSALS, 409: {"description": "Hồ sơ chưa kết thúc (rating_not_open) hoặc đã được đánh giá "
                                               "(rating_already_given)"}},
    summary="Đánh giá mức độ hài lòng về việc giải quyết hồ sơ (một lần, cần yếu tố xác thực)",
)
def rate_dossier(body: RatingIn, gate: Gate, session: SessionDep, domain: DomainDep) -> RatingCreated:
    # The rating checks the lookup's second factor: it spends the same shared budget of the dossier.
    with gate.second_factor(budget.dossier_subject, body.code):
        return rating.rate(session, services=domain, body=body, actor=gate.actor)


@router.post(
    "/lookup/by-id",
    response_model=DossierList,
    responses=REFUSALS,
    summary="Tra cứu hồ sơ theo số CCCD/CMND (kèm 4 số cuối điện thoại)",
)
def lookup_by_id(body: LookupByIdIn, gate: Gate, session: SessionDep, domain: DomainDep) -> DossierList:
    with gate.second_factor(budget.id_subject, body.id_number):
        items = lookup.by_id(session, services=domain, id_number=body.id_number, phone_last4=body.phone_last4,
                             actor=gate.actor)
        if items is None:
            raise lookup.refusal()
    return DossierList(items=items)


@router.post(
    "/lookup/by-name",
    response_model=NameMatchList,
    responses=REFUSALS,
    summary="Tra cứu hồ sơ theo họ tên (kèm thủ tục và ngày nộp)",
)
def lookup_by_name(body: LookupByNameIn, gate: Gate, session: SessionDep, domain: DomainDep) -> NameMatchList:
    gate.limit("lookup", ratelimit.LOOKUP)
    return lookup.by_name(session, services=domain, full_name=body.full_name, procedure_code=body.procedure_code,
                          received_on=body.received_on, actor=gate.actor)


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    responses={422: REFUSALS[422], 429: REFUSALS[429]},
    summary="Gửi phản ánh, kiến nghị",
)
def submit_feedback(
    body: FeedbackIn, gate: Gate, session: SessionDep, domain: DomainDep, engine: EngineDep,
) -> FeedbackCreated:
    gate.limit("feedback", ratelimit.FEEDBACK)
    case = feedback.submit(session, engine=engine, services=domain, body=body, channel="web", actor=gate.actor)
    return FeedbackCreated(
        code=case.code,
        due_at=case.due_at,
        message=(
            f"Đã nhận phản ánh, kiến nghị {case.code}. Câu trả lời sẽ được gửi qua Zalo theo số điện thoại "
            f"đã để lại chậm nhất ngày {to_local(case.due_at):%d/%m/%Y}."
        ),
    )


# The largest file `POST /verify` reads: our results and forms are far smaller; the body is bounded before it
# is read (`api/main.py::body_rules`).
MAX_VERIFY_BYTES = 10 * 1024 * 1024


@router.post("/verify", response_model=VerifyResult, responses={413: {"description": "Tệp quá lớn"},
                                                                422: REFUSALS[422], 429: REFUSALS[429]},
             summary="Xác minh văn bản đã ký số")
def verify_document(
    file: Annotated[UploadFile, File(description="Tệp PDF cần xác minh")], gate: Gate, session: SessionDep,
    domain: DomainDep,
) -> VerifyResult:
    """Whether the file is a document we issued (same bytes as one stored), unchanged since signing (every
    signature intact, trusted, the last covering the whole file), who signed it and when."""
    gate.limit("verify", ratelimit.LOOKUP)
    content = read_upload(file, max_bytes=MAX_VERIFY_BYTES).content
    return verify.verify(session, services=domain, content=content, max_bytes=MAX_VERIFY_BYTES)


@router.get("/procedures", response_model=ProcedureList, summary="Dịch vụ công: danh mục thủ tục")
def procedures(
    session: SessionDep,
    domain: DomainDep,
    q: Annotated[str | None, Query(max_length=100, description="Từ khóa")] = None,
) -> ProcedureList:
    return ProcedureList(
        items=catalogue.public_catalogue(session, agency_name=domain.settings.agency_name,
                                         centre_name=domain.settings.centre_name, query=q)
    )


@router.get("/news", response_model=NewsList, summary="Tin tức và hướng dẫn")
def list_news(
    session: SessionDep,
    kind: Literal["news", "guide"] | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> NewsList:
    return NewsList(items=[news.to_out(i) for i in news.published(session, kind=kind, limit=limit)])


@router.post("/documents", response_model=CitizenDocumentList, responses=REFUSALS,
             summary="Giấy tờ đã ban hành của hồ sơ (Giấy tiếp nhận, phiếu, văn bản) — cần yếu tố xác thực")
def citizen_documents(
    body: CitizenDocumentsIn, gate: Gate, session: SessionDep, domain: DomainDep
) -> CitizenDocumentList:
    with gate.second_factor(budget.dossier_subject, body.code):
        items = downloads.list_for_citizen(session, services=domain, code=body.code, verifier=body.verifier or "",
                                           actor=gate.actor)
    return CitizenDocumentList(items=items)


@router.post("/documents/{document_id}", response_class=Response, responses={
    **REFUSALS, 200: {"content": {"application/pdf": {}}}}, summary="Tải một giấy tờ của hồ sơ (PDF)")
def citizen_document(
    document_id: int, body: CitizenDocumentsIn, gate: Gate, session: SessionDep, domain: DomainDep,
) -> Response:
    with gate.second_factor(budget.dossier_subject, body.code):
        document, content = downloads.read_for_citizen(
            session, services=domain, code=body.code, verifier=body.verifier or "", document_id=document_id,
            actor=gate.actor)
    return Response(content, media_type=download_type(document.media_type),
                    headers=attachment(document.filename))
