"""Hand-overs of officials' work (issue 23 item 1; docs/OPERATIONS.md, "Reassignment and delegation").

- **Reassignment**: the head of the unit where a task's lane works (LANH_DAO_PHONG of the division or of the
  receiving desk; LANH_DAO_SO for the agency's lanes) gives one open task to another official who holds the
  lane's role there (`access.works_where`), active, not the head themself and not its holder already.
- **Delegation**: an official on leave lets another of their unit, holding every working role they hold,
  see and complete the tasks assigned to them for a period of Vietnam days. While it is active, the
  delegator's tasks (those they hold and those assigned to them later) are in the delegate's "mine" list,
  and the delegate completes them as themself (the control log names who did it, the audit entry says for
  whom). Delegations are not followed in chains.

Each is written to the control log of the dossiers it touches (Mẫu 06 lists it), audited, marked in the
receiver's task list (`notes`) and told to the receiver once by the reminders job
(`workflows.reminders.jobs`). Functions flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from engine.models import WorkItem
from workflows import audit
from workflows.core.clock import to_local
from workflows.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflows.dossiers import access, control_log, progress
from workflows.dossiers.access import Action, ensure_can_see, ensure_may
from workflows.dossiers.models import Dossier
from workflows.dossiers.queries import dossier_by_code
from workflows.dossiers.statuses import STEP_NAMES
from workflows.identity import naming
from workflows.identity.actor import Actor
from workflows.identity.models import Department, Official, Role
from workflows.tasks.models import Delegation, TaskReassignment

# The roles whose steps are someone's tasks: what a delegate must hold as the delegator does.
WORKING_ROLES = (Role.MOT_CUA, Role.CHUYEN_VIEN, Role.LANH_DAO_PHONG, Role.LANH_DAO_SO, Role.VAN_THU)
# Long enough for annual leave or a training course; longer absences are a change of assignment, which the
# administrator makes with the official's roles.
MAX_DELEGATION_DAYS = 90
MIN_REASON = 5
REASSIGN_STEP, DELEGATE_STEP = "giao_lai", "uy_quyen"


def local_day(now: datetime) -> date:
    return to_local(now).date()


def _reason(value: str) -> str:
    value = (value or "").strip()
    if len(value) < MIN_REASON:
        raise ValidationFailed(f"Lý do: cần nêu rõ lý do (ít nhất {MIN_REASON} ký tự).",
                               errors=[{"field": "reason",
                                        "message": f"Lý do: cần nêu rõ lý do (ít nhất {MIN_REASON} ký tự)."}])
    return value


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def _official(session: Session, username: str) -> Official | None:
    return session.exec(select(Official).where(Official.username == username)).first()


def actor_of(session: Session, official: Official) -> Actor:
    """The official as the access rules see them (department and agency)."""
    department = session.get(Department, official.department_id)
    return Actor.of_official(official, department_name=department.name if department else "",
                             agency_code=department.agency_code if department else None)


def label(session: Session, username: str | None) -> str:
    """ "Trần Văn Minh, Trưởng phòng Quản lý Văn hóa và Gia đình"; the login only if nobody has it."""
    if not username:
        return ""
    person = naming.describe(session, username=username)
    return person.label if person is not None else username


def _full_name(session: Session, username: str) -> str:
    person = naming.describe(session, username=username)
    return person.full_name if person is not None else username


def _where(lane: str | None) -> str:
    return ("Bộ phận Một cửa đã tiếp nhận hồ sơ" if lane in access.DESK_LANES
            else "cơ quan giải quyết hồ sơ" if lane in access.AGENCY_LANES else "phòng giải quyết hồ sơ")


# ---- reassignment --------------------------------------------------------------------------------------


def reassign(
    session: Session, *, actor: Actor, task_id: str, to_official: str, reason: str, now: datetime,
) -> tuple[WorkItem, Dossier]:
    """Give the open work item `task_id` to `to_official`. 404 for a task the actor does not see; 403 for a
    role or a unit that may not (the head of the unit where the lane works); 409 for a task no longer open;
    422 naming `to_official` or `reason`."""
    item = session.get(WorkItem, task_id)
    dossier = dossier_by_code(session, item.business_key) if item else None
    if item is None or dossier is None:
        raise NotFound("Không tìm thấy công việc.", code="task_not_found")
    ensure_can_see(actor, dossier)
    ensure_may(actor, Action.REASSIGN)
    head = Role.LANH_DAO_SO if item.lane in access.AGENCY_LANES else Role.LANH_DAO_PHONG
    if not actor.has_role(head) or not access.works_where(actor, dossier=dossier, lane=item.lane):
        raise Forbidden(f"Chỉ {head.label[0].lower()}{head.label[1:]} của {_where(item.lane)} được giao lại "
                        "công việc này.",
                        code="not_this_unit")
    if item.state != "open":
        raise Conflict("Công việc đã được hoàn thành hoặc không còn mở.", code="task_already_completed")
    reason = _reason(reason)
    receiver = _official(session, to_official)
    if receiver is None:
        raise _refuse("to_official", "Cán bộ nhận: không có cán bộ này.")
    if receiver.disabled:
        raise _refuse("to_official", "Cán bộ nhận: tài khoản của cán bộ này đã bị khóa.")
    if receiver.username == actor.username:
        raise _refuse("to_official", "Cán bộ nhận: không giao lại cho chính mình; hãy nhận xử lý công việc.")
    if receiver.username == item.assignee:
        raise _refuse("to_official", "Cán bộ nhận: công việc đang do chính cán bộ này xử lý.")
    lane_role = Role(item.lane) if item.lane in Role.__members__ else None
    if lane_role is None or lane_role.value not in receiver.roles:
        what = lane_role.label if lane_role else "của bước này"
        raise _refuse("to_official", f"Cán bộ nhận: phải có vai trò {what}.")
    if not access.works_where(actor_of(session, receiver), dossier=dossier, lane=item.lane):
        raise _refuse("to_official", f"Cán bộ nhận: phải công tác tại {_where(item.lane)}.")
    previous = item.assignee
    item.assignee = receiver.username
    session.add(item)
    session.add(TaskReassignment(work_item_id=item.id, dossier_code=dossier.code, from_assignee=previous,
                                 to_assignee=receiver.username, by=actor.username, reason=reason, at=now))
    step = STEP_NAMES.get(item.element_id, item.title or item.name or item.element_id)
    control_log.hand_over(
        session, dossier_id=dossier.id or 0, step=REASSIGN_STEP, step_name=f"Giao lại công việc «{step}»", at=now,
        from_actor=actor.display_name, from_unit=progress.unit_of(session, actor), to_actor=receiver.full_name,
        to_unit=progress.ROLE_UNITS.get(item.lane or "", item.lane or ""), due_at=None,
        note=(f"Thay {_full_name(session, previous)}. " if previous else "") + reason[:450])
    audit.record(session, actor=actor.username, action="task.reassign", at=now, dossier_code=dossier.code,
                 reason=reason, data={"task": item.element_id, "from": previous, "to": receiver.username})
    session.flush()
    return item, dossier


# ---- delegation ----------------------------------------------------------------------------------------


def active_for_delegate(session: Session, *, username: str, today: date) -> list[Delegation]:
    """The delegations active on `today` whose delegate is `username` (their delegators' tasks are theirs)."""
    return list(session.exec(select(Delegation).where(
        Delegation.delegate == username, col(Delegation.revoked_at).is_(None),
        col(Delegation.starts_on) <= today, col(Delegation.ends_on) >= today).order_by(col(Delegation.id))).all())


def active_of(session: Session, *, delegator: str, today: date) -> Delegation | None:
    """The delegator's delegation active on `today`, if any."""
    return session.exec(select(Delegation).where(
        Delegation.delegator == delegator, col(Delegation.revoked_at).is_(None),
        col(Delegation.starts_on) <= today, col(Delegation.ends_on) >= today)).first()


def covering(session: Session, *, actor: Actor, assignee: str | None, now: datetime) -> Delegation | None:
    """The active delegation that lets `actor` act on a task held by `assignee`, if any."""
    if not assignee or assignee == actor.username or actor.kind != "official":
        return None
    return next((d for d in active_for_delegate(session, username=actor.username, today=local_day(now))
                 if d.delegator == assignee), None)


def _overlapping(session: Session, *, delegator: str, starts_on: date, ends_on: date) -> Delegation | None:
    return session.exec(select(Delegation).where(
        Delegation.delegator == delegator, col(Delegation.revoked_at).is_(None),
        col(Delegation.starts_on) <= ends_on, col(Delegation.ends_on) >= starts_on)).first()


def create_delegation(
    session: Session, *, actor: Actor, delegate: str, starts_on: date, ends_on: date, reason: str, now: datetime,
) -> Delegation:
    """The actor delegates their tasks to `delegate` from `starts_on` to `ends_on` (Vietnam days, inclusive).
    422 naming `delegate`, `starts_on`, `ends_on` or `reason`; 409 `delegation_overlaps` when the actor has
    a delegation in part of that period already. The tasks the actor holds now get a control-log row."""
    reason = _reason(reason)
    today = local_day(now)
    if starts_on < today:
        raise _refuse("starts_on", f"Từ ngày: không được trước hôm nay ({today:%d/%m/%Y}).")
    if ends_on < starts_on:
        raise _refuse("ends_on", "Đến ngày: không được trước ngày bắt đầu ủy quyền.")
    if (ends_on - starts_on).days + 1 > MAX_DELEGATION_DAYS:
        raise _refuse("ends_on", f"Đến ngày: ủy quyền dài nhất {MAX_DELEGATION_DAYS} ngày; vắng lâu hơn thì "
                                 "đề nghị thay đổi phân công.")
    receiver = _official(session, delegate)
    if receiver is None:
        raise _refuse("delegate", "Người được ủy quyền: không có cán bộ này.")
    if receiver.disabled:
        raise _refuse("delegate", "Người được ủy quyền: tài khoản của cán bộ này đã bị khóa.")
    if receiver.username == actor.username:
        raise _refuse("delegate", "Người được ủy quyền: không ủy quyền cho chính mình.")
    if receiver.department_id != actor.department_id:
        raise _refuse("delegate", f"Người được ủy quyền: phải cùng đơn vị ({actor.department_name}).")
    missing = [r for r in WORKING_ROLES if actor.has_role(r) and r.value not in receiver.roles]
    if missing:
        raise _refuse("delegate", "Người được ủy quyền: phải có vai trò "
                                  f"{', '.join(r.label for r in missing)} như người ủy quyền.")
    if _overlapping(session, delegator=receiver.username, starts_on=starts_on, ends_on=ends_on) is not None:
        raise _refuse("delegate", "Người được ủy quyền: đang ủy quyền cho người khác trong khoảng thời gian này.")
    if _overlapping(session, delegator=actor.username, starts_on=starts_on, ends_on=ends_on) is not None:
        raise Conflict("Đồng chí đã ủy quyền trong một phần khoảng thời gian này; hãy thu hồi ủy quyền đó trước.",
                       code="delegation_overlaps")
    delegation = Delegation(delegator=actor.username, delegate=receiver.username, starts_on=starts_on,
                            ends_on=ends_on, reason=reason, created_at=now)
    session.add(delegation)
    session.flush()
    held = session.exec(select(WorkItem).where(WorkItem.assignee == actor.username, WorkItem.state == "open")
                        .order_by(col(WorkItem.created_at))).all()
    for code in dict.fromkeys(item.business_key for item in held):
        dossier = dossier_by_code(session, code)
        if dossier is None:
            continue
        control_log.hand_over(
            session, dossier_id=dossier.id or 0, step=DELEGATE_STEP, step_name="Ủy quyền xử lý công việc", at=now,
            from_actor=actor.display_name, from_unit=progress.unit_of(session, actor),
            to_actor=receiver.full_name, to_unit=progress.unit_of(session, actor_of(session, receiver)),
            due_at=None, note=f"Từ {starts_on:%d/%m/%Y} đến {ends_on:%d/%m/%Y}. {reason[:400]}")
    audit.record(session, actor=actor.username, action="delegation.create", at=now, reason=reason,
                 data={"delegation": delegation.id, "delegate": receiver.username, "from": starts_on.isoformat(),
                       "to": ends_on.isoformat(), "dossiers": sorted({i.business_key for i in held})})
    return delegation


def list_delegations(session: Session, *, actor: Actor) -> list[Delegation]:
    """Delegations the actor gave or received, newest first."""
    return list(session.exec(select(Delegation).where(
        (col(Delegation.delegator) == actor.username) | (col(Delegation.delegate) == actor.username))
        .order_by(col(Delegation.id).desc())).all())


def revoke_delegation(session: Session, *, actor: Actor, delegation_id: int, now: datetime) -> Delegation:
    """The delegator ends their delegation now (it stops at once); another's delegation is not found; an
    ended one answers 409."""
    delegation = session.get(Delegation, delegation_id)
    if delegation is None or delegation.delegator != actor.username:
        raise NotFound("Không tìm thấy ủy quyền.", code="delegation_not_found")
    if delegation.revoked_at is not None or delegation.ends_on < local_day(now):
        raise Conflict("Ủy quyền đã kết thúc.", code="delegation_ended")
    delegation.revoked_at, delegation.revoked_by = now, actor.username
    session.add(delegation)
    audit.record(session, actor=actor.username, action="delegation.revoke", at=now,
                 data={"delegation": delegation.id, "delegate": delegation.delegate})
    session.flush()
    return delegation


# ---- what the receiver reads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegationView:
    id: int
    delegator: str
    delegate: str
    starts_on: date
    ends_on: date
    reason: str
    active: bool
    revoked_at: datetime | None


def view(session: Session, delegation: Delegation, *, now: datetime) -> DelegationView:
    today = local_day(now)
    return DelegationView(
        id=delegation.id or 0, delegator=label(session, delegation.delegator),
        delegate=label(session, delegation.delegate), starts_on=delegation.starts_on, ends_on=delegation.ends_on,
        reason=delegation.reason, revoked_at=delegation.revoked_at,
        active=delegation.revoked_at is None and delegation.starts_on <= today <= delegation.ends_on)


def delegated_note(session: Session, delegation: Delegation) -> str:
    return f"Thay {_full_name(session, delegation.delegator)} (ủy quyền đến {delegation.ends_on:%d/%m/%Y})"


def notes(session: Session, *, actor: Actor, items: Iterable[WorkItem], now: datetime,
          delegations: list[Delegation] | None = None) -> dict[str, str]:
    """What the task list marks on each item the actor holds by a hand-over: "Thay Lê Thị Hương (ủy quyền
    đến 30/11/2026)" for a delegator's task, "Được giao lại bởi Trần Văn Minh, Trưởng phòng …" for a task
    reassigned to its holder. `delegations`: the actor's active ones (`active_for_delegate`) when the
    caller has read them already."""
    items = list(items)
    if delegations is None:
        delegations = active_for_delegate(session, username=actor.username, today=local_day(now))
    by_delegator = {d.delegator: d for d in delegations}
    out: dict[str, str] = {}
    held = [i for i in items if i.assignee == actor.username]
    latest: dict[str, TaskReassignment] = {}
    if held:
        for row in session.exec(select(TaskReassignment).where(
                col(TaskReassignment.work_item_id).in_([i.id for i in held])).order_by(col(TaskReassignment.id))):
            latest[row.work_item_id] = row
    for item in items:
        if item.assignee in by_delegator:
            out[item.id] = delegated_note(session, by_delegator[item.assignee])
        elif item.id in latest and latest[item.id].to_assignee == actor.username:
            out[item.id] = f"Được giao lại bởi {label(session, latest[item.id].by)}"
    return out
