"""Hand-overs between agencies (liên thông, issue 20): a dossier received at one agency's desk and decided by
another moves between them as its steps do — the desk's steps (reception, supplements, the return of the
result) run where it was received, every other step in the competent agency (`access.works_where`). When
the next step runs in another agency, the dossier's `current_agency_code` follows, and the citizen is told
the first time it reaches the competent agency ("CHUYEN_LIEN_THONG"); the way back is the result message,
which already names the desk. Each agency's share of the time limit is the hours of its steps in the
procedure's internal process (`workflows/dossiers/shares.py`)."""

from __future__ import annotations

from sqlmodel import Session

from engine import WorkItemView
from workflows.collaborators import DomainServices, Step
from workflows.dossiers import forms, messages, progress
from workflows.dossiers.models import Dossier
from workflows.dossiers.queries import dossier_by_code
from workflows.dossiers.shares import where_lane_works

HANDED_OVER = "CHUYEN_LIEN_THONG"


def after_step(session: Session, *, step: Step, services: DomainServices) -> None:
    """The dossier processes' after-step hook: `progress.after_step`, then the hand-over to another agency
    when the steps just opened run elsewhere than where the dossier is."""
    progress.after_step(session, step=step, services=services)
    dossier = dossier_by_code(session, step.result.business_key)
    if dossier is None:
        return
    moved_to = _agency_of(dossier, step.result.opened)
    if moved_to is None or moved_to == dossier.current_agency_code:
        return
    came_from = dossier.current_agency_code
    dossier.current_agency_code = moved_to
    session.add(dossier)
    if moved_to == dossier.agency_code and came_from == dossier.received_agency_code:
        messages.notify_event(session, dossier=dossier, event=HANDED_OVER, services=services, now=step.now,
                              overrides={"from_agency": forms.agency_name(session, code=came_from, services=services)})


def _agency_of(dossier: Dossier, opened: list[WorkItemView]) -> str | None:
    agencies = {where_lane_works(dossier, item.lane) for item in opened}
    return agencies.pop() if len(agencies) == 1 else None
