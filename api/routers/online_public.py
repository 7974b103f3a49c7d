"""Online submission from our own citizen page (`/nop-ho-so-truc-tuyen`), for procedures the province
offers online (those with a national code): the same domain function as DVCQG's push
(`dossiers/online.receive_online`), channel "online", not marked as submitted on DVCQG.

    GET  /api/v1/public/online-procedures                    procedures offered online, with their form
    POST /api/v1/public/online-dossiers   (multipart)        submit: applicant fields, facts, files

Public: through the gate (`api/gate.py`, a per-client limit); the body is bounded in `api/main.py`.
Refusals are problem+json 422 with Vietnamese field errors.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel

from api.deps import DomainDep, EngineDep, SessionDep
from api.gate import Gate
from connectors.dvcqg import inbound
from workflows.core import ratelimit
from workflows.core.errors import ValidationFailed
from workflows.dossiers import online
from workflows.identity.actor import Actor
from workflows.privacy import InvalidPersonalData, normalize_id_number, normalize_phone

router = APIRouter(prefix="/api/v1/public", tags=["public"])
SUBMIT = ratelimit.Limit(5, 600)
MAX_FILES = 20


class OnlineProcedure(BaseModel):
    code: str
    national_code: str
    name: str
    documents: list[dict[str, Any]]
    intake_fields: list[dict[str, Any]]


class OnlineProcedureList(BaseModel):
    items: list[OnlineProcedure]


class OnlineCreated(BaseModel):
    code: str
    message: str


@router.get("/online-procedures", response_model=OnlineProcedureList, summary="Thủ tục nhận hồ sơ trực tuyến")
def online_procedures(session: SessionDep) -> OnlineProcedureList:
    return OnlineProcedureList(items=[
        OnlineProcedure(code=p.code, national_code=p.national_code or "", name=p.name, documents=p.documents,
                        intake_fields=p.intake_fields or []) for p in online.procedures_online(session)])


def _checked(normalize: Any, value: str | None, field: str, label: str) -> None:
    if value:
        try:
            normalize(value)
        except InvalidPersonalData as exc:
            raise exc.on(field, label) from None


@router.post("/online-dossiers", status_code=status.HTTP_201_CREATED, response_model=OnlineCreated,
             summary="Nộp hồ sơ trực tuyến (trang công dân)")
def submit_online(
    gate: Gate, session: SessionDep, engine: EngineDep, domain: DomainDep,
    procedure_code: Annotated[str, Form(min_length=1, max_length=64)],
    full_name: Annotated[str, Form(min_length=2, max_length=255)],
    id_number: Annotated[str | None, Form(max_length=20)] = None,
    phone: Annotated[str | None, Form(max_length=20)] = None,
    email: Annotated[str | None, Form(max_length=255)] = None,
    address: Annotated[str | None, Form(max_length=500)] = None,
    consent_zalo: Annotated[bool, Form()] = False,
    facts: Annotated[str, Form(max_length=2000, description="JSON object of the intake fields")] = "{}",
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI's form default)
    components: Annotated[list[str], Form()] = [],  # noqa: B006 the document each file answers
) -> OnlineCreated:
    gate.limit("online_dossier", SUBMIT)
    _checked(normalize_id_number, id_number, "id_number", "Số CCCD/CMND")
    _checked(normalize_phone, phone, "phone", "Số điện thoại")
    if consent_zalo and not phone:
        raise ValidationFailed(errors=[{"field": "phone", "message": "Số điện thoại: cần có để nhận thông báo qua "
                                                                     "Zalo."}])
    try:
        declared = json.loads(facts or "{}")
        if not isinstance(declared, dict):
            raise ValueError
    except ValueError:
        raise ValidationFailed(errors=[{"field": "facts", "message": "Thông tin kê khai: không hợp lệ."}]) from None
    real = [f for f in files if f.filename]
    if not real:
        raise ValidationFailed(errors=[{"field": "files", "message": "Tệp hồ sơ: cần đính kèm ít nhất một tệp."}])
    if len(real) > MAX_FILES:
        raise ValidationFailed(errors=[{"field": "files", "message": f"Tệp hồ sơ: tối đa {MAX_FILES} tệp."}])
    limit = domain.settings.dvcqg.inbound.max_file_bytes
    submitted = tuple(
        inbound.SubmittedFile(name=f.filename or "tep", content=f.file.read(limit + 1), field=f"files[{i}]",
                              component_code=(components[i] if i < len(components) else None) or None)
        for i, f in enumerate(real))
    submission = inbound.OnlineSubmission(
        national_code="", procedure_national_code="", applicant_name=full_name.strip(), applicant_kind="person",
        id_number=id_number or None, phone=phone or None, email=email or None, address=address or None, tech_id=None,
        summary=None, submitted_at=domain.clock.now(), vneid_verified=False, zalo_consent=consent_zalo,
        files=submitted)
    actor = Actor(username=gate.actor, display_name="Công dân (nộp trực tuyến)", kind="citizen")
    received = online.receive_online(
        session, engine=engine, services=domain, submission=submission, actor=actor,
        fetch=partial(inbound.fetch_file, max_bytes=limit), procedure_code=procedure_code,
        department_code=domain.settings.dvcqg.inbound.department_code, facts=declared)
    code = received.dossier.code
    return OnlineCreated(code=code, message=f"Đã nộp hồ sơ {code}. Hồ sơ đang chờ Bộ phận Một cửa kiểm tra, "
                                            "tiếp nhận.")
