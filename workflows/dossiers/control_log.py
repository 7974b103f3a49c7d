"""The only writer of the control log (Phiếu kiểm soát, Mẫu 06): one row per hand-over of a step."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workflows.dossiers.models import ControlLogEntry


def hand_over(
    session: Session, *, dossier_id: int, step: str, step_name: str, at: datetime,
    from_actor: str | None, from_unit: str | None, to_actor: str | None, to_unit: str | None,
    due_at: datetime | None, note: str | None = None,
) -> ControlLogEntry:
    """Append one row of the Phiếu kiểm soát: on time when the step finished by its due time."""
    entry = ControlLogEntry(
        dossier_id=dossier_id, step=step, step_name=step_name, at=at, from_actor=from_actor,
        from_unit=from_unit, to_actor=to_actor, to_unit=to_unit, due_at=due_at,
        on_time=None if due_at is None else at <= due_at, note=note,
    )
    session.add(entry)
    return entry
