"""Citizens' endpoints (no login): dossier lookup three ways, satisfaction rating, feedback, procedure
catalogue, news.

Lookups and feedback are rate limited per client (keyed hash of the address, `api/clients.py`) in the
database, before the request's own transaction begins; every check of a second factor (lookup by code or by
ID number, the citizen's documents and their download) first spends one attempt of the dossier's or the ID
number's shared budget, whatever the client (`workflows/citizen/budget.py`). Refusals are answered as
problem+json without raising, so that their audit entries commit. Verifiers and ID numbers travel only in
POST bodies, never in URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.clients import client_address
from api.deps import DomainDep, EngineDep, SessionDep, WiringDep
from api.errors import problem
from api.files import attachment, download_type
from workflows.citizen import budget, catalogue, downloads, lookup, rating
from workflows.citizen.schemas import (
    DossierList,
    LookupByCodeIn,
    LookupByIdIn,
    LookupByNameIn,
    LookupResult,
    NameMatchList,
    PublicProcedure,
)
from workflows.collaborators import DomainServices
from workflows.core import ratelimit
from workflows.core.clock import to_local
from workflows.core.errors import MotcuaError
from workflows.feedback import service as feedback
from workflows.feedback.schemas import FeedbackCreated, FeedbackIn
from workflows.news import service as news
from workflows.news.schemas import NewsOut
from workflows.wiring import Wiring

router = APIRouter(prefix="/api/v1/public", tags=["citizens"])

REFUSALS: dict[int | str, dict[str, object]] = {
    404: {"description": "Không tìm thấy hồ sơ khớp mã và thông tin xác minh (code lookup_not_found)"},
    422: {"description": "Thiếu hoặc sai dạng thông tin xác minh"},
    429: {"description": "Quá nhiều yêu cầu từ một máy (rate_limited), hoặc thông tin xác minh của hồ sơ / số "
                        "CCCD đã bị nhập sai quá nhiều lần (second_factor_locked); header Retry-After cho "
                        "biết số giây cần chờ"},
}


class ProcedureList(BaseModel):
    items: list[PublicProcedure]


class NewsList(BaseModel):
    items: list[NewsOut]


def client_of(request: Request, wiring: Wiring) -> str:
    """The caller's pseudonym: a keyed hash of its address (X-Forwarded-For believed from
    MOTCUA_TRUSTED_PROXIES only)."""
    host = client_address(request, trusted_proxies=wiring.settings.trusted_proxies)
    return ratelimit.client_key(secret=wiring.settings.crypto.hmac_key.get_secret_value(), client=host)


def refuse(exc: MotcuaError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ratelimit.TooManyRequests) else None
    return problem(exc.status_code, exc.error_code, exc.detail, errors=exc.errors or None, headers=headers)


def _limit(wiring: Wiring, *, key: str, limit: ratelimit.Limit) -> JSONResponse | None:
    try:
        ratelimit.hit(wiring.db, key=key, limit=limit, now=wiring.clock.now())
    except ratelimit.TooManyRequests as exc:
        return refuse(exc)
    return None


def _second_factor(wiring: Wiring, domain: DomainServices, *, client: str, subject: Callable[[], str]
                   ) -> JSONResponse | None:
    """The per-client limit, then one attempt of the subject's shared budget (committed on its own, so
    that a guess counts whatever happens next); the refusal, or None to go on and check."""
    limited = _limit(wiring, key=f"{client}:lookup", limit=ratelimit.LOOKUP)
    if limited is not None:
        return limited
    try:
        budget.reserve(wiring.db, services=domain, subject=budget.client_subject(client))
        budget.reserve(wiring.db, services=domain, subject=subject())
    except MotcuaError as exc:
        return refuse(exc)
    return None


def _settle(session: Session, domain: DomainServices, *, client: str) -> None:
    """After a second-factor check: a match gives the client's attempt back too (only wrong guesses count)."""
    if budget.matched(session):
        budget.refund(session, services=domain, subject=budget.client_subject(client))


@router.post("/lookup", response_model=LookupResult, responses=REFUSALS, summary="Tra cứu hồ sơ theo mã")
def lookup_by_code(
    body: LookupByCodeIn, request: Request, wiring: WiringDep, session: SessionDep, domain: DomainDep
) -> LookupResult | JSONResponse:
    client = client_of(request, wiring)
    limited = _second_factor(wiring, domain, client=client, subject=lambda: budget.dossier_subject(body.code))
    if limited is not None:
        return limited
    try:
        result = lookup.by_code(
            session, services=domain, code=body.code, verifier=body.verifier, actor=f"public:{client}"
        )
    except MotcuaError as exc:
        return refuse(exc)
    finally:
        _settle(session, domain, client=client)
    if result is None:
        return refuse(lookup.refusal())
    # What the message buttons promise ("Xem Giấy tiếp nhận…", "Đánh giá"): the forms and the rating form.
    result.documents = downloads.issued(session, dossier_code=result.code)
    result.satisfaction = rating.state_of(session, code=result.code)
    return result


@router.post(
    "/ratings",
    status_code=201,
    response_model=rating.RatingCreated,
    responses={**REFUSALS, 409: {"description": "Hồ sơ chưa kết thúc (rating_not_open) hoặc đã được đánh giá "
                                               "(rating_already_given)"}},
    summary="Đánh giá mức độ hài lòng về việc giải quyết hồ sơ (một lần, cần yếu tố xác thực)",
)
def rate_dossier(
    body: rating.RatingIn, request: Request, wiring: WiringDep, session: SessionDep, domain: DomainDep
) -> rating.RatingCreated | JSONResponse:
    client = client_of(request, wiring)
    # The rating checks the lookup's second factor: it spends the same shared budget of the dossier.
    limited = _second_factor(wiring, domain, client=client, subject=lambda: budget.dossier_subject(body.code))
    if limited is not None:
        return limited
    try:
        return rating.rate(session, services=domain, body=body, actor=f"public:{client}")
    except MotcuaError as exc:
        return refuse(exc)
    finally:
        _settle(session, domain, client=client)


@router.post(
    "/lookup/by-id",
    response_model=DossierList,
    responses=REFUSALS,
    summary="Tra cứu hồ sơ theo số CCCD/CMND (kèm 4 số cuối điện thoại)",
)
def lookup_by_id(
    body: LookupByIdIn, request: Request, wiring: WiringDep, session: SessionDep, domain: DomainDep
) -> DossierList | JSONResponse:
    client = client_of(request, wiring)
    limited = _second_factor(wiring, domain, client=client, subject=lambda: budget.id_subject(body.id_number))
    if limited is not None:
        return limited
    try:
        items = lookup.by_id(
            session,
            services=domain,
            id_number=body.id_number,
            phone_last4=body.phone_last4,
            actor=f"public:{client}",
        )
    except MotcuaError as exc:
        return refuse(exc)
    finally:
        _settle(session, domain, client=client)
    return DossierList(items=items) if items is not None else refuse(lookup.refusal())


@router.post(
    "/lookup/by-name",
    response_model=NameMatchList,
    responses=REFUSALS,
    summary="Tra cứu hồ sơ theo họ tên (kèm thủ tục và ngày nộp)",
)
def lookup_by_name(
    body: LookupByNameIn, request: Request, wiring: WiringDep, session: SessionDep, domain: DomainDep
) -> NameMatchList | JSONResponse:
    client = client_of(request, wiring)
    limited = _limit(wiring, key=f"{client}:lookup", limit=ratelimit.LOOKUP)
    if limited is not None:
        return limited
    try:
        return lookup.by_name(
            session,
            services=domain,
            full_name=body.full_name,
            procedure_code=body.procedure_code,
            received_on=body.received_on,
            actor=f"public:{client}",
        )
    except MotcuaError as exc:
        return refuse(exc)


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    responses={422: REFUSALS[422], 429: REFUSALS[429]},
    summary="Gửi phản ánh, kiến nghị",
)
def submit_feedback(
    body: FeedbackIn,
    request: Request,
    wiring: WiringDep,
    session: SessionDep,
    domain: DomainDep,
    engine: EngineDep,
) -> FeedbackCreated | JSONResponse:
    client = client_of(request, wiring)
    limited = _limit(wiring, key=f"{client}:feedback", limit=ratelimit.FEEDBACK)
    if limited is not None:
        return limited
    case = feedback.submit(
        session, engine=engine, services=domain, body=body, channel="web", actor=f"public:{client}"
    )
    return FeedbackCreated(
        code=case.code,
        due_at=case.due_at,
        message=(
            f"Đã nhận phản ánh, kiến nghị {case.code}. Câu trả lời sẽ được gửi qua Zalo theo số điện thoại "
            f"đã để lại chậm nhất ngày {to_local(case.due_at):%d/%m/%Y}."
        ),
    )


@router.get("/procedures", response_model=ProcedureList, summary="Dịch vụ công: danh mục thủ tục")
def procedures(
    session: SessionDep,
    domain: DomainDep,
    q: Annotated[str | None, Query(max_length=100, description="Từ khóa")] = None,
) -> ProcedureList:
    return ProcedureList(
        items=catalogue.procedures(session, agency_name=domain.settings.agency_name,
                                   centre_name=domain.settings.centre_name, query=q)
    )


@router.get("/news", response_model=NewsList, summary="Tin tức và hướng dẫn")
def list_news(
    session: SessionDep,
    kind: Literal["news", "guide"] | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> NewsList:
    return NewsList(items=[news.to_out(i) for i in news.published(session, kind=kind, limit=limit)])


class CitizenDocumentsIn(LookupByCodeIn):
    """The dossier code and the same second factor as the lookup."""


class CitizenDocumentList(BaseModel):
    items: list[downloads.CitizenDocument]


@router.post("/documents", response_model=CitizenDocumentList, responses=REFUSALS,
             summary="Giấy tờ đã ban hành của hồ sơ (Giấy tiếp nhận, phiếu, văn bản) — cần yếu tố xác thực")
def citizen_documents(
    body: CitizenDocumentsIn, request: Request, wiring: WiringDep, session: SessionDep, domain: DomainDep
) -> CitizenDocumentList | JSONResponse:
    client = client_of(request, wiring)
    limited = _second_factor(wiring, domain, client=client, subject=lambda: budget.dossier_subject(body.code))
    if limited is not None:
        return limited
    try:
        items = downloads.list_for_citizen(session, services=domain, code=body.code, verifier=body.verifier or "",
                                           actor=f"public:{client}")
    except MotcuaError as exc:
        return refuse(exc)
    finally:
        _settle(session, domain, client=client)
    return CitizenDocumentList(items=items)


@router.post("/documents/{document_id}", response_class=Response, responses={
    **REFUSALS, 200: {"content": {"application/pdf": {}}}}, summary="Tải một giấy tờ của hồ sơ (PDF)")
def citizen_document(
    document_id: int, body: CitizenDocumentsIn, request: Request, wiring: WiringDep, session: SessionDep,
    domain: DomainDep,
) -> Response:
    client = client_of(request, wiring)
    limited = _second_factor(wiring, domain, client=client, subject=lambda: budget.dossier_subject(body.code))
    if limited is not None:
        return limited
    try:
        document, content = downloads.read_for_citizen(
            session, services=domain, code=body.code, verifier=body.verifier or "", document_id=document_id,
            actor=f"public:{client}")
    except MotcuaError as exc:
        return refuse(exc)
    finally:
        _settle(session, domain, client=client)
    return Response(content, media_type=download_type(document.media_type),
                    headers=attachment(document.filename))
