"""Who is acting, and what they may do (docs/ACCESS.md).

Which dossiers an official sees (`sees`, and `scope` for lists): those of their department, as the
department that handles it or the desk that received it; the agency-wide roles (the agency's leaders, its
records clerk and supervisors: `AGENCY_ROLES`) every dossier their agency resolves or received; the
province's supervisors (`Role.GIAM_SAT_TINH`) every dossier, read-only. A commune's officials never see a
Sở's dossier unless it passes through their desk.

Each action on a dossier is open to the roles in `ACTION_ROLES` (the one table of "who may do what"); a
task is open to its assignee and to officials holding its lane's role where the lane works
(`works_where`): the desk's steps at the receiving desk, the leaders' and the clerk's in the competent
agency, the others in its handling department."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from workflows.core.errors import Forbidden, NotFound
from workflows.dossiers.models import Dossier
from workflows.identity.actor import Actor
from workflows.identity.models import Role

SUPERVISOR_ROLES = ("GIAM_SAT", "GIAM_SAT_TINH", "QUAN_TRI")
AGENCY_ROLES = frozenset({Role.LANH_DAO_SO, Role.VAN_THU, Role.GIAM_SAT})
PROVINCE_ROLES = frozenset({Role.GIAM_SAT_TINH})
DESK_LANES = frozenset({Role.MOT_CUA.value})  # steps of the receiving desk (reception, supplements, return)
AGENCY_LANES = frozenset({Role.LANH_DAO_SO.value, Role.VAN_THU.value})  # the competent agency's leaders, clerk


class Action(StrEnum):
    """What an official does to a dossier of their department, outside the steps of its process."""

    VIEW = "view"  # list, detail (masked), history, documents list and download
    SEARCH_BY_ID = "search_by_id"  # find dossiers by a citizen's ID number (audited with its purpose)
    REVEAL = "reveal"  # the applicant's full ID number, phone, e-mail, address (audited)
    WITHDRAW = "withdraw"  # the citizen's withdrawal, taken at the desk (Mẫu 05)
    APOLOGY = "apology"  # Mẫu 04 with the new appointment, once
    UPLOAD = "upload"  # attach a file to the dossier
    CONTROL_SLIP = "control_slip"  # print the Phiếu kiểm soát (Mẫu 06) as it stands
    MESSAGE = "message"  # a free-text Zalo message to the applicant
    ZALO_CONVERSATION = "zalo_conversation"  # read the applicant's Zalo conversation with the OA (audited)
    PAYMENT_CHECK = "payment_check"  # re-check an online payment with the DVCQG payment platform
    REASSIGN = "reassign"  # give an open task of the dossier to another official of its lane


_HANDLERS = frozenset({Role.MOT_CUA, Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG, Role.LANH_DAO_SO, Role.VAN_THU})

# Who may do what (DOMAIN.md §2.2–2.3, §5 "need to see"). Steps of the process are not here: they belong to
# the role of their BPMN lane (`ensure_can_work`). Intake is the desk's or an API key's (api/auth.py, `ReceptionOrKey`).
ACTION_ROLES: dict[Action, frozenset[str]] = {
    # Everyone working on the department's dossiers, and its supervisors, follows them (masked data).
    Action.VIEW: frozenset(Role) - {Role.QUAN_TRI},
    # Duplicate checks at the desk and appraisal; supervisors answer complaints (GIAM_SAT).
    Action.SEARCH_BY_ID: frozenset({Role.MOT_CUA, Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG, Role.GIAM_SAT}),
    # Need to see: the desk checks the papers against the person at reception and hands back the result;
    # the case officer checks identity in appraisal and calls the applicant for a site inspection. Heads
    # sign on the masked file, supervisors count, the records clerk numbers and stamps.
    Action.REVEAL: frozenset({Role.MOT_CUA, Role.CHUYEN_VIEN}),
    # NĐ 61: the citizen's request to withdraw is received by the one-stop desk.
    Action.WITHDRAW: frozenset({Role.MOT_CUA}),
    # Mẫu 04 is drafted by the case officer and signed by the head of the division or of the Sở; the
    # one-stop desk only delivers it.
    Action.APOLOGY: frozenset({Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG, Role.LANH_DAO_SO}),
    # Scans at reception, inspection minutes, the signed and numbered result.
    Action.UPLOAD: _HANDLERS,
    # Mẫu 06 is printed by the desk; the division head and supervisors (the province's too, who act on
    # nothing else) check the dossier's course on it.
    Action.CONTROL_SLIP: frozenset({Role.MOT_CUA, Role.LANH_DAO_PHONG, Role.GIAM_SAT, Role.GIAM_SAT_TINH}),
    # Those who deal with the applicant: the desk, the case officer, the division head.
    Action.MESSAGE: frozenset({Role.MOT_CUA, Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG}),
    # What the citizen wrote to the OA: those who deal with the applicant, and supervisors who answer
    # complaints; not the heads who only sign, nor the records clerk.
    Action.ZALO_CONVERSATION: frozenset({Role.MOT_CUA, Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG, Role.GIAM_SAT}),
    # The desk collects the fees (and the cash receipt); the citizen asks it when a paid fee is not seen.
    Action.PAYMENT_CHECK: frozenset({Role.MOT_CUA}),
    # Who leads the unit where a task's lane works hands its work out: the division head (of the handling
    # division, or of the receiving desk's unit), the Sở leader for the agency's own lanes
    # (workflows/tasks/handover.py).
    Action.REASSIGN: frozenset({Role.LANH_DAO_PHONG, Role.LANH_DAO_SO}),
}


def ensure_may(actor: Actor, action: Action) -> None:
    """403 naming the roles that may, when none of the actor's roles may do `action`. The system acts
    freely (its callers checked); API keys have their scopes checked where they are admitted."""
    if actor.kind in ("system", "api_key"):
        return
    allowed = ACTION_ROLES[action]
    if not actor.has_role(*allowed):
        labels = ", ".join(role.label for role in Role if role in allowed)
        raise Forbidden(f"Bạn không có quyền thực hiện thao tác này (cần vai trò: {labels}).",
                        code="role_not_allowed")


def sees(actor: Actor, dossier: Dossier) -> bool:
    """Whether `actor` may know of `dossier` (the module's rule); `scope` is the same rule in SQL."""
    if actor.kind == "system" or actor.has_role(*PROVINCE_ROLES):
        return True
    if actor.department_id is not None and actor.department_id in (dossier.department_id,
                                                                   dossier.received_department_id):
        return True
    return (actor.has_role(*AGENCY_ROLES) and actor.agency_code is not None
            and actor.agency_code in (dossier.agency_code, dossier.received_agency_code))


def scope(actor: Actor) -> Any:
    """The SQL condition on `Dossier` of the dossiers `actor` sees (`sees`)."""
    if actor.kind == "system" or actor.has_role(*PROVINCE_ROLES):
        return sa.true()
    clauses = [col(Dossier.department_id) == actor.department_id,
               col(Dossier.received_department_id) == actor.department_id]
    if actor.has_role(*AGENCY_ROLES) and actor.agency_code is not None:
        clauses += [col(Dossier.agency_code) == actor.agency_code,
                    col(Dossier.received_agency_code) == actor.agency_code]
    return sa.or_(*clauses)


def works_where(actor: Actor, *, dossier: Dossier, lane: str | None) -> bool:
    """Whether `actor` works where the steps of `lane` are done for `dossier` (the role is checked apart)."""
    if lane in DESK_LANES:
        return actor.department_id == dossier.received_department_id
    if lane in AGENCY_LANES:
        return actor.agency_code is not None and actor.agency_code == dossier.agency_code
    return actor.department_id == dossier.department_id


def lane_scope(actor: Actor, lane_column: Any) -> Any:
    """`works_where` in SQL, over work items joined to their dossiers (`lane_column` the item's lane)."""
    return sa.or_(
        sa.and_(lane_column.in_(DESK_LANES), col(Dossier.received_department_id) == actor.department_id),
        sa.and_(lane_column.in_(AGENCY_LANES), col(Dossier.agency_code) == (actor.agency_code or "")),
        sa.and_(lane_column.not_in(DESK_LANES | AGENCY_LANES), col(Dossier.department_id) == actor.department_id),
    )


def ensure_can_see(actor: Actor, dossier: Dossier) -> None:
    """404, not 403, for a dossier the actor does not see: its existence is not the caller's to know."""
    if not sees(actor, dossier):
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")


def ensure_can_work(actor: Actor, *, dossier: Dossier, lane: str | None, assignee: str | None) -> None:
    ensure_can_see(actor, dossier)
    if assignee is not None and assignee == actor.username:
        return
    if assignee is not None:
        raise Forbidden("Công việc đã được giao cho cán bộ khác.", code="task_assigned_to_other")
    if lane is None or not actor.has_role(lane):
        raise Forbidden("Bạn không có vai trò thực hiện bước này.", code="role_not_allowed")
    if not works_where(actor, dossier=dossier, lane=lane):
        where = ("Bộ phận Một cửa đã tiếp nhận hồ sơ" if lane in DESK_LANES
                 else "cơ quan giải quyết hồ sơ" if lane in AGENCY_LANES else "phòng giải quyết hồ sơ")
        raise Forbidden(f"Bước này do {where} thực hiện.", code="not_this_unit")
