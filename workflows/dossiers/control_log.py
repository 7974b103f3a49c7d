"""The only writer of the control log (Phiếu kiểm soát, Mẫu 06): one row per hand-over of a step."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workflows.collaborators import DomainServices
from workflows.dossiers import national_sync
from workflows.dossiers.models import ControlLogEntry

# Hand-overs inside the agency (a task reassigned, an official's delegation: workflows/tasks/handover.py):
# on the control slip and the officials' history, not on the citizen's timeline, where units only are
# shown and nothing changed hands between them.
INTERNAL_STEPS = frozenset({"giao_lai", "uy_quyen"})


def hand_over(
    session: Session, *, dossier_id: int, step: str, step_name: str, at: datetime,
    from_actor: str | None, from_unit: str | None, to_actor: str | None, to_unit: str | None,
    due_at: datetime | None, note: str | None = None, services: DomainServices | None = None,
    from_title: str | None = None, started_at: datetime | None = None,
) -> ControlLogEntry:
    """Append one row of the Phiếu kiểm soát: on time when the step finished by its due time. With
    `services` (an official's hand-over of a processing step) the row also becomes a progress entry on the
    national portal (`national_sync.hand_over`; `from_title` is the giver's chức danh, `started_at` when the
    step began, by default the time of the dossier's previous row)."""
    entry = ControlLogEntry(
        dossier_id=dossier_id, step=step, step_name=step_name, at=at, from_actor=from_actor,
        from_unit=from_unit, to_actor=to_actor, to_unit=to_unit, due_at=due_at,
        on_time=None if due_at is None else at <= due_at, note=note,
    )
    session.add(entry)
    if services is not None:
        national_sync.hand_over(session, entry=entry, title=from_title, services=services, started_at=started_at)
    return entry
