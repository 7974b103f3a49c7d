"""A citizen's request to know who processed their personal data (Luật 91/2025/QH15, the data subject's
right to be informed), answered from the audit trail behind the dossier lookup's second factor.

The answer lists, oldest first, each time the data of the dossier was read, revealed in full, changed or
sent: when, by which unit and in which role (`audit_trail.unit_and_role`), or by the system or a connected
system, and what (`audit_trail.ACTIONS`). **Officials' names are not shown**: the data controller the law
makes answerable is the agency, not its staff; an official's name is their own personal data; and the
dossier's public timeline already names units only. A citizen who complains about one processing gets the
official's name through the agency's supervisor, who reads the same entries with names (`GET
/api/v1/audit`). The citizen's own lookups (public or Zalo) are not listed: the caller's pseudonym is all
they hold, which says nothing to the citizen. The request itself is audited (`public.processing`)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from workflows import audit
from workflows.audit.models import AuditEntry
from workflows.collaborators import DomainServices
from workflows.dossiers import audit_trail
from workflows.dossiers.forms import agency_name
from workflows.lookup.schemas import ProcessingAnswer, ProcessingItem
from workflows.lookup.service import _four_digits, find_verified

CITIZEN_CALLERS = ("public:", "zalo:")
NAMES_NOTE = ("Danh sách ghi đơn vị và vai trò của người xử lý, không ghi họ tên cán bộ. Nếu có khiếu nại về "
              "một lần xử lý, đề nghị liên hệ cơ quan giải quyết để được xem xét.")


def _who(session: Session, actor: str) -> tuple[str, str]:
    if actor == "system":
        return "Hệ thống (tự động)", ""
    if actor == "dvcqg":
        return "Cổng Dịch vụ công quốc gia", ""
    if actor.startswith("api_key:"):
        return "Hệ thống kết nối", ""
    if actor == "cli":
        return "Quản trị hệ thống", ""
    return audit_trail.unit_and_role(session, actor)


def answer(session: Session, *, services: DomainServices, code: str, verifier: str | None,
           actor: str) -> ProcessingAnswer | None:
    """Who processed the data of dossier `code`, or None (refused: unknown code or wrong verifier, the
    lookup's one refusal). The caller has spent one attempt of the dossier's budget; a match gives it back."""
    verifier = _four_digits(verifier, field="verifier", what="số điện thoại hoặc số CCCD/CMND")
    now = services.clock.now()
    dossier = find_verified(session, services=services, code=code, verifier=verifier)
    audit.record(session, actor=actor, action="public.processing", at=now,
                 dossier_code=dossier.code if dossier else None,
                 data={"result": "found" if dossier else "refused"})
    if dossier is None:
        return None
    rows = session.exec(select(AuditEntry).where(AuditEntry.dossier_code == dossier.code)
                        .order_by(col(AuditEntry.at), col(AuditEntry.id))).all()
    items = []
    for row in rows:
        if row.actor.startswith(CITIZEN_CALLERS):
            continue
        unit, role = _who(session, row.actor)
        kind = audit_trail.kind_of(row.action)
        items.append(ProcessingItem(at=row.at, unit=unit, role=role, kind=kind,
                                    kind_name=audit_trail.KIND_NAMES[kind],
                                    what=audit_trail.action_name(row.action)))
    return ProcessingAnswer(code=dossier.code, items=items, note=NAMES_NOTE,
                            controller=agency_name(session, code=dossier.agency_code, services=services))
