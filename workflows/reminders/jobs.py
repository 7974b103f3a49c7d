"""The reminder job: what is due is read from the work items and dossiers; each reminder goes out once.

Kinds (DESIGN.md "Scheduler", DOMAIN.md deadlines):
* `due_soon` — an open step within `due_soon_hours` working hours of its due time (at most half the step's
  own time, so a two-hour step is not reminded the moment it opens) → its assignee, else its lane's officials.
* `overdue` — an open step past its due time → the same people.
* `escalation` — the same late step → the division heads (LANH_DAO_PHONG) of the dossier's department.
* `apology_due` — from the start of office hours of the working day before a dossier's appointment day,
  while it is running, not paused, and no apology was issued → the case officer: Mẫu 04 is owed if the date
  cannot be met.
* `reassigned` — a task a division head gave to an official (workflows/tasks/handover.py) → that official,
  once, while they still hold it.
* `delegated` — a delegation of an official's tasks → the delegate, once, unless it was revoked first.
When each is due is decided by the deadlines service (`workflows.deadlines.service`: `is_due_soon`,
`is_overdue`, `is_apology_due`); this module finds the subjects, the people and sends once.

Once-only: a `reminder_sent` row per (subject, kind) under a unique constraint, written in the same
transaction as the notifications; a batch of subjects per transaction, a savepoint per subject, each
subject's row locked FOR UPDATE SKIP LOCKED on PostgreSQL so concurrent workers split the work instead of
waiting. A worker that dies mid-way rolls back its batch: nothing of it is recorded, the next run sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from connectors.outbox import enqueue
from connectors.zalo.payload import MessagePayload
from engine.models import WorkItem
from workflows.calendar import WorkingCalendar
from workflows.collaborators import DomainServices
from workflows.core.clock import ensure_utc
from workflows.core.db import is_postgres, memo, session_scope
from workflows.deadlines import service as deadlines
from workflows.dossiers import access
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import STEP_NAMES
from workflows.identity.models import ROLE_LABELS, Department, Official, Role
from workflows.reminders import texts
from workflows.reminders.models import (
    APOLOGY_DUE,
    DELEGATED,
    DUE_SOON,
    ESCALATION,
    OVERDUE,
    REASSIGNED,
    OfficialNotification,
    ReminderSent,
)
from workflows.tasks import handover
from workflows.tasks.models import Delegation, TaskReassignment

log = logging.getLogger(__name__)

TASK, DOSSIER, REASSIGNMENT, DELEGATION = "task:", "dossier:", "reassignment:", "delegation:"
HANDOVER_NOTICE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class ReminderPolicy:
    due_soon_hours: float = 4.0  # half a working day


@dataclass(frozen=True)
class DueReminder:
    subject: str  # "task:<work item id>" | "dossier:<code>"
    kinds: tuple[str, ...]


def send_due_reminders(
    db_engine: DbEngine, *, services: DomainServices, now: datetime, batch: int = 200,
    policy: ReminderPolicy = ReminderPolicy(), on_commit: Callable[[], None] | None = None,
    scan_batches: int = 10,
) -> int:
    """Send every reminder due at `now`, `batch` subjects per transaction; returns how many (subject, kind)
    reminders this call recorded. `on_commit` (e.g. the relay's notify) runs after a commit that queued
    Zalo messages.

    The due subjects are found by one scan of up to `batch * scan_batches` subjects, then sent a batch per
    transaction; the scan is repeated only when it came back full. Each batch re-reads and locks what it
    sends, so a subject another worker sent since the scan is skipped (`_claim`).

    Each subject has a savepoint of its own inside its batch's transaction: one that fails is rolled back
    alone (logged, and sent by the next run) while the others of its batch are recorded. A transaction per
    subject cost a commit each (an fsync on PostgreSQL, a turn at SQLite's writer lock): 92–113 s over
    100,000 open dossiers (issue 22). A scan per batch walked the already reminded work items again each
    time (0.1–0.4 s a scan at 1,000,000 dossiers on PostgreSQL)."""
    recorded = 0
    limit = batch * max(1, scan_batches)
    while True:
        with session_scope(db_engine) as session:
            due = due_reminders(session, services=services, now=now, policy=policy, limit=limit)
        progressed = 0
        for start in range(0, len(due), batch):
            with session_scope(db_engine) as session:
                calendar = _calendar(session, services, now)
                for reminder in due[start:start + batch]:
                    try:
                        with session.begin_nested():
                            progressed += _send(session, reminder, calendar=calendar, now=now, policy=policy,
                                                on_commit=on_commit)
                    except Exception:  # noqa: BLE001 - one bad subject must not stop the others; retried next run
                        log.exception("reminder for %s failed", reminder.subject)
        recorded += progressed
        if len(due) < limit or progressed == 0:
            return recorded


def due_reminders(
    session: Session, *, services: DomainServices, now: datetime, policy: ReminderPolicy = ReminderPolicy(),
    limit: int = 200,
) -> list[DueReminder]:
    """The subjects with at least one reminder due and not yet sent (indexed queries, then the calendar)."""
    calendar = _calendar(session, services, now)
    found: dict[str, list[str]] = {}
    soon_until = deadlines.due_soon_until(calendar, now=now, due_soon_hours=policy.due_soon_hours)
    task_subject = sa.literal(TASK, sa.String).concat(col(WorkItem.id))
    soon = session.exec(
        select(WorkItem.id, WorkItem.due_at, WorkItem.created_at)
        .where(WorkItem.state == "open", col(WorkItem.due_at) > now, col(WorkItem.due_at) <= soon_until,
               ~_sent(task_subject, DUE_SOON))
        .order_by(col(WorkItem.due_at)).limit(limit)
    ).all()
    for item_id, due_at, created_at in soon:
        if deadlines.is_due_soon(calendar, now=now, due_at=ensure_utc(due_at), created_at=ensure_utc(created_at),
                                 due_soon_hours=policy.due_soon_hours):
            found.setdefault(TASK + item_id, []).append(DUE_SOON)
    for kind in (OVERDUE, ESCALATION):
        late = session.exec(
            select(WorkItem.id)
            .where(WorkItem.state == "open", col(WorkItem.due_at) <= now, ~_sent(task_subject, kind))
            .order_by(col(WorkItem.due_at)).limit(limit)
        ).all()
        for item_id in late:
            found.setdefault(TASK + item_id, []).append(kind)
    dossier_subject = sa.literal(DOSSIER, sa.String).concat(col(Dossier.code))
    appointments = session.exec(
        select(Dossier.code, Dossier.due_at)
        .where(col(Dossier.finished_at).is_(None), col(Dossier.paused_at).is_(None),
               Dossier.apology_count == 0, col(Dossier.due_at) > now,
               col(Dossier.due_at) < deadlines.apology_horizon(calendar, now=now),
               ~_sent(dossier_subject, APOLOGY_DUE))
        .order_by(col(Dossier.due_at)).limit(limit)
    ).all()
    for code, due_at in appointments:
        if deadlines.is_apology_due(calendar, now=now, due_at=ensure_utc(due_at)):
            found.setdefault(DOSSIER + code, []).append(APOLOGY_DUE)
    # Hand-overs of the last week only: an older one has long been seen in the inbox, and the query stays small.
    recent = now - HANDOVER_NOTICE_WINDOW
    for prefix, table, made, kind in ((REASSIGNMENT, TaskReassignment, TaskReassignment.at, REASSIGNED),
                                      (DELEGATION, Delegation, Delegation.created_at, DELEGATED)):
        subject = sa.literal(prefix, sa.String).concat(sa.cast(col(table.id), sa.String))
        for row_id in session.exec(select(table.id).where(col(made) >= recent, ~_sent(subject, kind))
                                   .order_by(col(table.id)).limit(limit)).all():
            found.setdefault(f"{prefix}{row_id}", []).append(kind)
    return [DueReminder(subject, tuple(kinds)) for subject, kinds in list(found.items())[:limit]]


def _sent(subject: Any, kind: str) -> Any:
    return sa.exists().where(col(ReminderSent.subject) == subject, ReminderSent.kind == kind)


def _calendar(session: Session, services: DomainServices, now: datetime) -> WorkingCalendar:
    return deadlines.working_calendar(session, calendars=services.calendars, at=now)


# ---- one subject, one savepoint ---------------------------------------------------------------------


def _send(session: Session, reminder: DueReminder, *, calendar: WorkingCalendar, now: datetime,
          policy: ReminderPolicy, on_commit: Callable[[], None] | None) -> int:
    key = reminder.subject.split(":", 1)[1]
    if reminder.subject.startswith(TASK):
        item = _locked(session, select(WorkItem).where(WorkItem.id == key))
        if item is None or item.state != "open" or item.due_at is None:
            return 0
        dossier = _dossier(session, item.business_key, lock=False)
        plans = [_task_plan(session, kind, item, dossier, calendar=calendar, now=now, policy=policy)
                 for kind in reminder.kinds]
    elif reminder.subject.startswith((REASSIGNMENT, DELEGATION)):
        plans = [_handover_plan(session, reminder.subject)]
    else:
        dossier = _dossier(session, key, lock=True)
        plans = [] if dossier is None else [_apology_plan(session, dossier, calendar=calendar, now=now)]
    recorded = 0
    for plan in plans:
        if plan is not None and _claim(session, reminder.subject, plan, now=now):
            _deliver(session, plan, now=now, on_commit=on_commit)
            recorded += 1
    return recorded


@dataclass(frozen=True)
class _Plan:
    kind: str
    recipients: list[Official]
    text: texts.ReminderText
    dossier_code: str | None
    task_id: str | None
    subject: str = ""  # the reminder's own subject when the task or dossier does not name it (a hand-over)


def _task_plan(session: Session, kind: str, item: WorkItem, dossier: Dossier | None, *,
               calendar: WorkingCalendar, now: datetime, policy: ReminderPolicy) -> _Plan | None:
    due_at = ensure_utc(item.due_at) if item.due_at is not None else None
    if due_at is None:
        return None
    created = ensure_utc(item.created_at)
    if kind == DUE_SOON and not deadlines.is_due_soon(calendar, now=now, due_at=due_at, created_at=created,
                                                      due_soon_hours=policy.due_soon_hours):
        return None
    if kind in (OVERDUE, ESCALATION) and not deadlines.is_overdue(now=now, due_at=due_at):
        return None
    department_id = dossier.department_id if dossier is not None else None
    handlers = _handlers(session, item, dossier, now=now)
    recipients = handlers
    if kind == ESCALATION:
        handling = {o.id for o in handlers}
        heads = _with_role(session, department_id, Role.LANH_DAO_PHONG)
        recipients = [o for o in heads if o.id not in handling]
    step = item.title or item.name or STEP_NAMES.get(item.element_id, item.element_id)
    handler = ", ".join(o.full_name for o in handlers) or _lane_label(item.lane)
    text = texts.render(kind, code=item.business_key, step=step, due_at=due_at,
                        hours_left=calendar.working_hours_between(now, due_at), handler=handler)
    return _Plan(kind, recipients, text, item.business_key, item.id)


def _apology_plan(
    session: Session, dossier: Dossier, *, calendar: WorkingCalendar, now: datetime,
) -> _Plan | None:
    due_at = ensure_utc(dossier.due_at) if dossier.due_at is not None else None
    if (due_at is None or dossier.finished_at is not None or dossier.paused_at is not None
            or dossier.apology_count > 0 or not deadlines.is_apology_due(calendar, now=now, due_at=due_at)):
        return None
    text = texts.render(APOLOGY_DUE, code=dossier.code, step="", due_at=due_at)
    return _Plan(APOLOGY_DUE, _case_officers(session, dossier), text, dossier.code, None)


def _handover_plan(session: Session, subject: str) -> _Plan | None:
    """The one notice to the receiver of a hand-over; nobody (but recorded as sent) when the task has moved on
    or the delegation was revoked before the job came to it, so it is not looked at again."""
    prefix, key = subject.split(":", 1)
    if prefix + ":" == REASSIGNMENT:
        row = session.get(TaskReassignment, int(key))
        if row is None:
            return None
        item = session.get(WorkItem, row.work_item_id)
        receiver = _by_username(session, row.to_assignee)
        current = item is not None and item.state == "open" and item.assignee == row.to_assignee
        step = (item.title or item.name or STEP_NAMES.get(item.element_id, item.element_id)) if item else ""
        text = texts.reassigned(code=row.dossier_code, step=step, by=handover.label(session, row.by),
                                reason=row.reason, due_at=ensure_utc(item.due_at) if item and item.due_at else None)
        return _Plan(REASSIGNED, [receiver] if receiver is not None and current else [], text, row.dossier_code,
                     row.work_item_id, subject)
    delegation = session.get(Delegation, int(key))
    if delegation is None:
        return None
    receiver = _by_username(session, delegation.delegate)
    tasks = len(session.exec(select(WorkItem.id).where(WorkItem.assignee == delegation.delegator,
                                                       WorkItem.state == "open")).all())
    text = texts.delegated(delegator=handover.label(session, delegation.delegator), starts_on=delegation.starts_on,
                           ends_on=delegation.ends_on, reason=delegation.reason, tasks=tasks)
    active = delegation.revoked_at is None and receiver is not None
    return _Plan(DELEGATED, [receiver] if active and receiver is not None else [], text, None, None, subject)


def _claim(session: Session, subject: str, plan: _Plan, *, now: datetime) -> bool:
    taken = session.exec(select(ReminderSent.id).where(ReminderSent.subject == subject,
                                                       ReminderSent.kind == plan.kind)).first()
    if taken is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ReminderSent(subject=subject, kind=plan.kind, recipients=len(plan.recipients),
                                     created_at=now))
    except IntegrityError:
        return False  # another worker recorded it first
    return True


def _deliver(session: Session, plan: _Plan, *, now: datetime, on_commit: Callable[[], None] | None) -> None:
    for official in plan.recipients:
        assert official.id is not None
        session.add(OfficialNotification(
            official_id=official.id, kind=plan.kind, title=plan.text.title, body=plan.text.body,
            dossier_code=plan.dossier_code, task_id=plan.task_id, created_at=now))
        if official.zalo_user_id:
            subject = plan.subject or (f"{TASK}{plan.task_id}" if plan.task_id else f"{DOSSIER}{plan.dossier_code}")
            enqueue(session, idempotency_key=f"reminder:{subject}:{plan.kind}:{official.id}",
                    kind="official_reminder", subject_ref=f"official:{official.id}",
                    recipient_ref=f"official:{official.id}", now=now, on_commit=on_commit,
                    payload=MessagePayload(event="NHAC_VIEC", text=f"{plan.text.title}\n{plan.text.body}").to_dict())
    session.flush()


# ---- who -----------------------------------------------------------------------------------------------


def _locked(session: Session, query: Any) -> Any:
    query = query.execution_options(populate_existing=True)
    if is_postgres(session.get_bind()):
        query = query.with_for_update(skip_locked=True)
    return session.exec(query).first()


def _dossier(session: Session, code: str, *, lock: bool) -> Dossier | None:
    query = select(Dossier).where(Dossier.code == code)
    return _locked(session, query) if lock else session.exec(query).first()


def _lane_label(lane: str | None) -> str:
    return ROLE_LABELS[Role(lane)] if lane in Role.__members__ else ""


def _with_role(session: Session, department_id: int | None, role: Role) -> list[Official]:
    if department_id is None:
        return []
    officials = memo(session, "reminders.department_officials", department_id, lambda: list(session.exec(
        select(Official).where(Official.department_id == department_id, col(Official.disabled).is_(False))
        .order_by(col(Official.id))).all())) or []
    return [o for o in officials if role.value in (o.roles or [])]


def _by_username(session: Session, username: str | None) -> Official | None:
    if not username:
        return None
    official = memo(session, "reminders.official", username,
                    lambda: session.exec(select(Official).where(Official.username == username)).first())
    return official if official is not None and not official.disabled else None


def _handlers(session: Session, item: WorkItem, dossier: Dossier | None, *, now: datetime) -> list[Official]:
    """The assignee (and whom they delegated to, while it lasts), else who holds the lane's role where the
    lane works for the dossier (access.works_where): the receiving desk, the competent agency (its leaders
    and records clerk) or the handling department."""
    assignee = _by_username(session, item.assignee)
    if assignee is not None:
        delegation = handover.active_of(session, delegator=assignee.username, today=handover.local_day(now))
        delegate = _by_username(session, delegation.delegate) if delegation is not None else None
        return [assignee, delegate] if delegate is not None else [assignee]
    if item.lane is None or item.lane not in Role.__members__ or dossier is None:
        return []
    if item.lane in access.DESK_LANES:
        return _with_role(session, dossier.received_department_id, Role(item.lane))
    if item.lane in access.AGENCY_LANES:
        officials = memo(session, "reminders.agency_officials", dossier.agency_code, lambda: list(session.exec(
            select(Official).join(Department, col(Department.id) == col(Official.department_id))
            .where(Department.agency_code == dossier.agency_code, col(Official.disabled).is_(False))
            .order_by(col(Official.id))).all())) or []
        return [o for o in officials if item.lane in (o.roles or [])]
    return _with_role(session, dossier.department_id, Role(item.lane))


def _case_officers(session: Session, dossier: Dossier) -> list[Official]:
    """The assignee of the open CHUYEN_VIEN step, else whoever last handled one, else the division's case
    officers."""
    items = session.exec(
        select(WorkItem).where(WorkItem.business_key == dossier.code, WorkItem.lane == Role.CHUYEN_VIEN.value)
        .order_by(col(WorkItem.state) != "open", col(WorkItem.created_at).desc())
    ).all()
    for item in items:
        official = _by_username(session, item.assignee or item.completed_by)
        if official is not None:
            return [official]
    return _with_role(session, dossier.department_id, Role.CHUYEN_VIEN)
