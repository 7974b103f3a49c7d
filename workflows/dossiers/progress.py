"""What follows every engine step of a dossier: due times of the new work items (the procedure's
internal-process hours, computed by the deadlines service) and the hand-over row of the control log.
`after_step` is the dossier processes' after-step hook: `workflows.process` runs it after each engine step
(`workflows.wiring.after_step_hooks` registers it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine import StepResult, WorkItemView
from workflows.collaborators import DomainServices, Step
from workflows.core.clock import ensure_utc
from workflows.deadlines import service as deadlines
from workflows.dossiers import control_log
from workflows.dossiers.models import Dossier
from workflows.dossiers.queries import dossier_by_code
from workflows.dossiers.statuses import STEP_NAMES
from workflows.identity import naming
from workflows.identity.actor import Actor
from workflows.identity.models import Official
from workflows.procedures.service import get_version

ROLE_UNITS = {
    "MOT_CUA": "Bộ phận Một cửa",
    "LANH_DAO_PHONG": "Lãnh đạo phòng chuyên môn",
    "CHUYEN_VIEN": "Chuyên viên thụ lý",
    "LANH_DAO_SO": "Lãnh đạo Sở",
    "VAN_THU": "Văn thư",
}
CITIZEN = "Tổ chức, cá nhân"


def after_step(session: Session, *, step: Step, services: DomainServices) -> None:
    """Give the work items the step opened their due times and log the hand-over of the completed one (with
    its due time and the note of its form). Nothing for an instance that is not a dossier's."""
    dossier = dossier_by_code(session, step.result.business_key)
    if dossier is None:
        return
    result, now = step.result, step.now
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    deadlines.give_due_times(
        session, calendar=deadlines.working_calendar(session, calendars=services.calendars, at=now),
        opened=result.opened, hours=deadlines.step_hours(procedure.steps), start=now)
    if result.completed is None:
        return
    control_log.hand_over(
        session, dossier_id=dossier.id or 0, step=result.completed.element_id,
        step_name=STEP_NAMES.get(result.completed.element_id, result.completed.name or ""), at=now,
        from_actor=step.actor.display_name, from_unit=unit_of(session, step.actor),
        to_actor=_to_actor(session, result.opened),
        to_unit=_to_unit(result.opened, finished=result.status == "completed"), due_at=step.due_at,
        note=_note(step.form), services=services, from_title=_title(session, step.actor),
        started_at=ensure_utc(result.completed.created_at),
    )


def log_submission(session: Session, *, dossier: Dossier, result: StepResult, now: datetime) -> None:
    control_log.hand_over(
        session, dossier_id=dossier.id or 0, step="nop_ho_so", step_name=STEP_NAMES["nop_ho_so"], at=now,
        from_actor=dossier.applicant_name, from_unit=CITIZEN, to_actor=_to_actor(session, result.opened),
        to_unit=_to_unit(result.opened, finished=False), due_at=None,
    )


def _title(session: Session, actor: Actor) -> str | None:
    person = naming.describe(session, username=actor.username) if actor.kind == "official" else None
    return person.title or None if person is not None else None


def unit_of(session: Session, actor: Actor) -> str:
    """The giver's title and unit ("Phó Giám đốc Sở …"); by role for an official without a title."""
    person = naming.describe(session, username=actor.username) if actor.kind == "official" else None
    if person is not None and person.title:
        return person.position
    role = next((r for r in ROLE_UNITS if r in actor.roles), None)
    unit = ROLE_UNITS.get(role or "", "")
    return ", ".join(p for p in (unit, actor.department_name) if p) or actor.kind


def _note(form: Mapping[str, Any]) -> str | None:
    """The reason or opinion the giver wrote on the form, for the control log."""
    for key in ("ly_do", "y_kien", "ghi_chu", "noi_dung_bo_sung"):
        if form.get(key):
            return str(form[key])[:500]
    return None


def _to_actor(session: Session, opened: list[WorkItemView]) -> str | None:
    """The assignees' full names (usernames mean nothing on a printed Phiếu kiểm soát)."""
    usernames = [item.assignee for item in opened if item.assignee]
    if not usernames:
        return None
    names = dict(session.exec(select(Official.username, Official.full_name)
                              .where(col(Official.username).in_(usernames))).all())
    return ", ".join(names.get(u, u) for u in usernames)


def _to_unit(opened: list[WorkItemView], *, finished: bool) -> str | None:
    if not opened:
        return CITIZEN if finished else None
    return ", ".join(dict.fromkeys(ROLE_UNITS.get(item.lane or "", item.lane or "") for item in opened))
