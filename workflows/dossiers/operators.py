"""The BPMN service-task operators of the dossier domain: adapters from a service task's parameters to the
domain. Each runs inside the engine step, in the dossier's transaction, and does no network I/O: it changes
rows, renders documents, queues the applicant's messages (`messages.notify_event`). The exception is
`documents/sign` with the remote signer, which waits for the official's confirmation (see there)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from engine import OperatorContext, OperatorParam, OperatorRegistry
from engine.models import WorkItem
from workflows.collaborators import DomainServices
from workflows.deadlines import service as deadlines
from workflows.documents.context import FormCode
from workflows.dossiers import forms, messages, national_sync, payments, queries, results, transitions
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import FINISHING, NATIONAL, SUB_STATUS_NAMES, SubStatus
from workflows.notifications.texts import EVENT_LABELS
from workflows.procedures.service import get_version
from workflows.signing.base import SigningFailed


def register_operators(registry: OperatorRegistry, services: DomainServices) -> None:
    """Each operator name → the function below that runs it, with the collaborators bound. The parameters'
    choices are the domain's own tables, so deploy validation and the modeler's templates offer and accept
    exactly what the operator can run."""
    statuses = {s.value: f"{SUB_STATUS_NAMES[s]} (trạng thái {NATIONAL[s]})" for s in SubStatus}
    registry.register("dossier/status", partial(set_status, services=services), label="Trạng thái hồ sơ",
                      params=[OperatorParam("status", "Trạng thái mới", choices=statuses),
                              OperatorParam("note", "Ghi chú", required=False)])
    registry.register("zalo/notify", partial(notify, services=services), label="Thông báo Zalo cho công dân",
                      params=[OperatorParam("event", "Sự kiện", choices=EVENT_LABELS)])
    forms = {f.value: f"{f.label}: {f.title_vi}" for f in FormCode}
    registry.register("documents/render", partial(render_document, services=services), label="Lập biểu mẫu",
                      params=[OperatorParam("form", "Biểu mẫu", choices=forms)])
    registry.register("documents/sign", partial(sign_document, services=services), label="Ký số văn bản",
                      params=[OperatorParam("document", "Văn bản", choices=SIGNED_DOCUMENTS)])


# What `documents/sign` can sign: the dossier's result, by the official who approved it in the step before.
SIGNED_DOCUMENTS = {"KET_QUA": "Kết quả giải quyết (giấy phép, quyết định)"}


def dossier_by_code(session: Session, code: str) -> Dossier:
    dossier = queries.dossier_by_code(session, code)
    if dossier is None:
        raise LookupError(f"no dossier {code!r} for this process instance")
    return dossier


def set_status(ctx: OperatorContext, params: dict[str, Any], *, services: DomainServices) -> dict[str, Any]:
    """Move the dossier to a sub-status and run the clock rules that go with it."""
    new = SubStatus(params["status"])
    dossier = dossier_by_code(ctx.session, ctx.business_key)
    supplement = None
    if new is SubStatus.CHO_BO_SUNG:  # what the deciding form asks for, for the national record's round
        data = forms.round_data(ctx.data, form=ctx.form, form_step=ctx.form_step)
        supplement = national_sync.Supplement(items=tuple(forms.supplement_items(data)),
                                              reason=str(data.get("ly_do") or ""), actor=ctx.actor)
    apply_status(ctx.session, dossier=dossier, new=new, services=services, now=ctx.now, supplement=supplement)
    return {"status": new.value, "national_status": NATIONAL[new]}


def apply_status(
    session: Session, *, dossier: Dossier, new: SubStatus, services: DomainServices, now: datetime,
    supplement: national_sync.Supplement | None = None,
) -> None:
    """Set the sub-status (refused outside the transition table, before anything changes); acceptance
    starts the clock, a supplement pauses it, finishing stops it."""
    old_national = dossier.national_status
    old = transitions.apply(session, dossier=dossier, to=new, now=now)
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    calendar = deadlines.working_calendar(session, calendars=services.calendars, at=now)
    # The clock rules are the deadlines service's; which status change triggers which is decided here.
    if new is SubStatus.DA_TIEP_NHAN:  # acceptance of a complete dossier (Giấy tiếp nhận)
        deadlines.start_clock(calendar, dossier=dossier, limit=procedure, now=now)
    if new is SubStatus.CHO_BO_SUNG and old is not SubStatus.CHO_BO_SUNG:
        deadlines.pause_clock(dossier, now=now)
    if old is SubStatus.CHO_BO_SUNG and new is not SubStatus.CHO_BO_SUNG:
        deadlines.resume_clock(calendar, dossier=dossier, limit=procedure, now=now)
    if new in FINISHING and dossier.finished_at is None:
        dossier.finished_at = now
    if new is SubStatus.DA_TRA_KET_QUA:
        dossier.returned_at = now
    if new is SubStatus.CHO_NGHIA_VU_TAI_CHINH and old is not new:  # the fee step: a payment link (before its message)
        payments.open_for_fee_step(session, dossier=dossier, services=services, now=now)
    session.add(dossier)
    # After the clock rules, so the snapshot carries the dates this change set (NgayTiepNhan, NgayHenTra...).
    national_sync.status_changed(session, dossier=dossier, old_national=old_national, services=services, now=now,
                                 supplement=supplement)


def notify(ctx: OperatorContext, params: dict[str, Any], *, services: DomainServices) -> dict[str, Any]:
    """`zalo/notify`: the applicant's message for `event`, with what the deciding form wrote (why; what to
    supplement); nothing when the applicant did not opt in."""
    dossier = dossier_by_code(ctx.session, ctx.business_key)
    data = forms.round_data(ctx.data, form=ctx.form, form_step=ctx.form_step)
    key = messages.notify_event(ctx.session, dossier=dossier, event=str(params["event"]), services=services,
                                now=ctx.now, reason=str(data.get("ly_do") or ""),
                                items=forms.supplement_items(data))
    return {"queued": key is not None, "key": key}


def sign_document(ctx: OperatorContext, params: dict[str, Any], *, services: DomainServices) -> dict[str, Any]:
    """`documents/sign`: the result, signed by the official who completed the step before (the leader's
    "Ký duyệt"). The one operator that calls out (the remote signing service, waiting for the official's
    confirmation up to `MOTCUA_SIGNING__REMOTE__TIMEOUT_SECONDS`); a failure or time-out fails the step,
    which the engine records as an incident naming it, and a retry signs again."""
    dossier = dossier_by_code(ctx.session, ctx.business_key)
    # The approver, not whoever runs the step now: a retry of the incident runs it in an administrator's name.
    approved = ctx.session.exec(
        select(WorkItem).where(WorkItem.instance_id == ctx.instance_id, WorkItem.element_id == ctx.form_step,
                               WorkItem.state == "completed")
        .order_by(col(WorkItem.completed_at).desc(), col(WorkItem.created_at).desc())).first() \
        if ctx.form_step else None
    signer = (approved.completed_by if approved is not None else None) or ctx.actor or ""
    try:
        document = results.sign_result(ctx.session, dossier=dossier, services=services, actor=signer,
                                       step=ctx.element_id, now=ctx.now)
    except SigningFailed as exc:  # the incident names the step and says why
        raise type(exc)(f"Bước “{ctx.element_name or ctx.element_id}”: {exc.detail}", code=exc.error_code) from exc
    return {"document_id": document.id, "signed": True}


def render_document(ctx: OperatorContext, params: dict[str, Any], *, services: DomainServices) -> dict[str, Any]:
    dossier = dossier_by_code(ctx.session, ctx.business_key)
    try:
        document = forms.issue_form(ctx.session, dossier=dossier, form=str(params["form"]), services=services,
                                    now=ctx.now, actor=ctx.actor or "system",
                                    data=forms.round_data(ctx.data, form=ctx.form, form_step=ctx.form_step),
                                    step=ctx.element_id)
    except SigningFailed as exc:  # the form's signature failed: the incident names the step and says why
        raise type(exc)(f"Bước “{ctx.element_name or ctx.element_id}”: {exc.detail}", code=exc.error_code) from exc
    return {"document_id": document.id, "form": document.form_code}
