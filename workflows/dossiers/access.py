"""Who is acting, and what they may do: officials see their own department's dossiers; each action on a
dossier is open to the roles in `ACTION_ROLES` (the one table of "who may do what", docs/ACCESS.md); a task
is open to officials holding its lane's role in the dossier's department, and to its assignee."""

from __future__ import annotations

from enum import StrEnum

from workflows.core.errors import Forbidden, NotFound
from workflows.dossiers.models import Dossier
from workflows.identity.actor import Actor
from workflows.identity.models import Role

SUPERVISOR_ROLES = ("GIAM_SAT", "QUAN_TRI")


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
    # Mẫu 06 is printed by the desk; the division head and supervisors check the dossier's course on it.
    Action.CONTROL_SLIP: frozenset({Role.MOT_CUA, Role.LANH_DAO_PHONG, Role.GIAM_SAT}),
    # Those who deal with the applicant: the desk, the case officer, the division head.
    Action.MESSAGE: frozenset({Role.MOT_CUA, Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG}),
    # What the citizen wrote to the OA: those who deal with the applicant, and supervisors who answer
    # complaints; not the heads who only sign, nor the records clerk.
    Action.ZALO_CONVERSATION: frozenset({Role.MOT_CUA, Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG, Role.GIAM_SAT}),
    # The desk collects the fees (and the cash receipt); the citizen asks it when a paid fee is not seen.
    Action.PAYMENT_CHECK: frozenset({Role.MOT_CUA}),
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


def ensure_can_see(actor: Actor, dossier: Dossier) -> None:
    """404, not 403, for another department's dossier: its existence is not the caller's to know."""
    if actor.kind == "system":
        return
    if actor.department_id is None or actor.department_id != dossier.department_id:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")


def ensure_can_work(actor: Actor, *, dossier: Dossier, lane: str | None, assignee: str | None) -> None:
    ensure_can_see(actor, dossier)
    if assignee is not None and assignee == actor.username:
        return
    if assignee is not None:
        raise Forbidden("Công việc đã được giao cho cán bộ khác.", code="task_assigned_to_other")
    if lane is None or not actor.has_role(lane):
        raise Forbidden("Bạn không có vai trò thực hiện bước này.", code="role_not_allowed")
