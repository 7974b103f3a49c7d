"""Row lookups shared by the code of one engine step (the task service, the operators, the scheduler)."""

from __future__ import annotations

from sqlmodel import Session, select

from workflows.core.db import memo
from workflows.dossiers.models import Dossier


def dossier_by_code(session: Session, code: str) -> Dossier | None:
    """The dossier with this exact code, remembered for the session: in one step the task service and
    each service task (status, notification, form) ask for it."""
    return memo(session, "dossier", code, lambda: session.exec(select(Dossier).where(Dossier.code == code)).first())
