"""The only writer of the audit trail (`AuditEntry`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from workflows.audit.models import AuditEntry


def record(
    session: Session, *, actor: str, action: str, at: datetime, dossier_code: str | None = None,
    reason: str | None = None, data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction. `data` must hold no unmasked personal data."""
    entry = AuditEntry(at=at, actor=actor, action=action, dossier_code=dossier_code, reason=reason,
                       data=data or {})
    session.add(entry)
    return entry
