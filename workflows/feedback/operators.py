"""Service-task operators of the feedback process, and the citizen's notice of the answer. They run in the
engine step, in the case's transaction, and do no network I/O."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session, select

from engine import OperatorContext, OperatorParam, OperatorRegistry
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import ensure_utc, to_local
from workflows.feedback.models import FeedbackCase
from workflows.feedback.service import STATUS_NAMES
from workflows.identity.models import Department
from workflows.notifications.service import notify_citizen

RECIPIENT_PREFIX = "feedback:"  # + the case id: the citizen behind a case (workflows/zalo/recipients.py)


def register_feedback_operators(registry: OperatorRegistry, services: DomainServices) -> None:
    """Each operator name → the function below that runs it (`services` bound where it needs them)."""
    registry.register("feedback/status", set_status, label="Trạng thái phản ánh, kiến nghị",
                      params=[OperatorParam("status", "Trạng thái mới", choices=STATUS_NAMES)])
    registry.register("feedback/answer", partial(send_answer, services=services), label="Gửi trả lời cho công dân")
    registry.register("feedback/remind", remind, label="Nhắc hạn xử lý phản ánh")


def case_by_code(session: Session, code: str) -> FeedbackCase:
    case = session.exec(select(FeedbackCase).where(FeedbackCase.code == code)).first()
    if case is None:
        raise LookupError(f"no feedback case {code!r} for this process instance")
    return case


def set_status(ctx: OperatorContext, params: dict[str, Any]) -> dict[str, Any]:
    """Move the case to `status`; on the way take the desk's classification and re-routing
    (`phan_loai`, `phong_xu_ly`) and the division head's choice of officer (`chuyen_vien`)."""
    status = str(params["status"])
    if status not in STATUS_NAMES:
        raise ValueError(f"unknown feedback status {status!r}")
    case = case_by_code(ctx.session, ctx.business_key)
    case.status = status
    if ctx.data.get("phan_loai"):
        case.category = str(ctx.data["phan_loai"])[:32]
    if status == "CHO_PHAN_CONG" and ctx.data.get("phong_xu_ly"):
        department = ctx.session.exec(
            select(Department).where(Department.code == ctx.data["phong_xu_ly"])
        ).first()
        if department is None:
            raise LookupError(f"no department {ctx.data['phong_xu_ly']!r}")
        case.department_id = department.id or case.department_id
    if status == "DANG_XU_LY" and ctx.data.get("chuyen_vien"):
        case.assignee = str(ctx.data["chuyen_vien"])[:64]
    ctx.session.add(case)
    return {"status": status}


def answer_text(case: FeedbackCase, *, agency_name: str) -> str:
    return (
        f"[{agency_name}] Trả lời phản ánh, kiến nghị {case.code} "
        f"(gửi ngày {to_local(ensure_utc(case.created_at)):%d/%m/%Y}):\n{case.answer}"
    )


def send_answer(ctx: OperatorContext, params: dict[str, Any], *, services: DomainServices) -> dict[str, Any]:
    """`feedback/answer`: record the officer's answer (`tra_loi`) and queue it for the citizen."""
    case = case_by_code(ctx.session, ctx.business_key)
    answer = str(ctx.data.get("tra_loi") or "").strip()
    if not answer:
        raise ValueError("the answer task left no 'tra_loi'")
    case.answer, case.answered_at, case.status = answer, ctx.now, "DA_TRA_LOI"
    case.answered_by = ctx.actor
    ctx.session.add(case)
    queued = notify_answer(ctx.session, case=case, services=services, now=ctx.now)
    audit.record(
        ctx.session,
        actor=ctx.actor or "system",
        action="feedback.answer",
        at=ctx.now,
        dossier_code=case.dossier_code,
        data={"feedback": case.code},
    )
    return {"queued": queued}


def notify_answer(session: Session, *, case: FeedbackCase, services: DomainServices, now: datetime) -> bool:
    """Queue the answer for the citizen (kind `feedback_answer`, recipient `feedback:<id>`, resolved at send
    time by `workflows/zalo/recipients.py`); False when it was already queued (one answer per case)."""
    # The same approved template as every dossier message (its parameters, one helper): a template of its
    # own with other parameter names was refused by Zalo for want of `ma_ho_so` (issue 16). The answer is
    # in the message; the button opens the feedback form.
    message = notify_citizen(
        session, key=f"{case.code}:TRA_LOI:1", kind="feedback_answer", code=case.code,
        recipient_ref=f"{RECIPIENT_PREFIX}{case.id}", event="TRA_LOI_PAKN",
        text=answer_text(case, agency_name=services.settings.agency_name),
        name=case.contact_name or "Ông/bà", status="Đã trả lời phản ánh", cta_text="Gửi phản ánh, kiến nghị khác",
        cta_url=f"{services.settings.public_base_url.rstrip('/')}/tra-cuu#phan-anh", now=now)
    return message is not None


def remind(ctx: OperatorContext, params: dict[str, Any]) -> dict[str, Any]:
    """The answer is due soon: mark the case reminded and leave the evidence in the audit trail (the
    officers' task list shows the due time; `reminded_at` lets notifications pick it up)."""
    case = case_by_code(ctx.session, ctx.business_key)
    if case.status == "DA_TRA_LOI":
        return {"reminded": False}
    case.reminded_at = ctx.now
    ctx.session.add(case)
    audit.record(
        ctx.session,
        actor="system",
        action="feedback.reminder",
        at=ctx.now,
        dossier_code=case.dossier_code,
        data={
            "feedback": case.code,
            "assignee": case.assignee,
            "due_at": ensure_utc(case.due_at).isoformat(),
        },
    )
    return {"reminded": True}
