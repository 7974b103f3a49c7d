"""Public dossier lookup, the three ways the province's guide names, each guarding personal data:

- by dossier code + verifier (last 4 digits of the applicant's phone or ID number) → the status
  timeline, name masked. A wrong verifier and an unknown code get the same refusal, so codes cannot be
  enumerated;
- by ID number (CCCD/CMND) + last 4 digits of the phone, or from a Zalo account whose proven phone is the
  applicant's (server side only) → that person's dossiers;
- by name → only with the procedure and the date of submission, at most 5 matches, masked name, code
  partly masked, status only.

Checking a verifier spends the dossier's (or the ID number's) shared budget of attempts (`budget.py`):
the caller reserves one attempt before calling the functions here, which give it back when it matched.
Every lookup is written to the audit trail under the caller's pseudonym (`public:<keyed hash>` or
`zalo:<user id>`) with no personal data. Refusals return None (not an exception), so the caller's
transaction — the audit entry of the refusal with it — still commits.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from connectors.zalo.users import get_user
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import VN_TZ, ensure_utc, to_local
from workflows.core.errors import NotFound, ValidationFailed
from workflows.core.text import search_key
from workflows.dossiers import control_log, payments
from workflows.dossiers.models import ControlLogEntry, Dossier
from workflows.dossiers.queries import lateness
from workflows.dossiers.statuses import NATIONAL_NAMES
from workflows.lookup import budget
from workflows.lookup.schemas import (
    LATENESS_NAMES,
    DossierSummary,
    LookupResult,
    NameMatch,
    NameMatchList,
    TimelineItem,
)
from workflows.privacy import mask_name, normalize_id_number
from workflows.procedures.service import get_version

ID_HASH_KIND = "id_number"  # the kind the intake hashes applicants' ID numbers under
NAME_RESULTS = 5
ID_RESULTS = 20
_DIGITS4 = "Cần nhập đúng 4 chữ số cuối"


def refusal() -> NotFound:
    """The one answer to an unknown code, a wrong verifier or an unknown ID number."""
    return NotFound(
        "Không tìm thấy hồ sơ khớp với thông tin đã nhập. Vui lòng kiểm tra lại mã hồ sơ (hoặc số "
        "CCCD) và 4 chữ số cuối của số điện thoại hoặc số CCCD/CMND người nộp.",
        code="lookup_not_found",
    )


def _four_digits(value: str | None, *, field: str, what: str) -> str:
    if value is None or not value.strip():
        raise ValidationFailed(
            f"{_DIGITS4} {what} để xác minh.",
            errors=[{"field": field, "message": f"{_DIGITS4} {what}."}],
        )
    value = value.strip()
    if len(value) != 4 or not value.isdigit():
        raise ValidationFailed(
            f"{_DIGITS4} {what}.",
            errors=[{"field": field, "message": f"{_DIGITS4} {what}."}],
        )
    return value


def _last4(services: DomainServices, ciphertext: str | None) -> str:
    # Decrypt even when absent, so a dossier without a phone takes as long as one with it.
    plain = services.cipher.decrypt(ciphertext) if ciphertext else ""
    return (plain[-4:] if len(plain) >= 4 else "").rjust(4, "#")


def verifier_matches(services: DomainServices, dossier: Dossier, verifier: str) -> bool:
    """Constant time: both comparisons always run."""
    phone_ok = hmac.compare_digest(_last4(services, dossier.applicant_phone_enc).encode(), verifier.encode())
    id_ok = hmac.compare_digest(_last4(services, dossier.applicant_id_enc).encode(), verifier.encode())
    return phone_ok | id_ok


def find_verified(session: Session, *, services: DomainServices, code: str, verifier: str) -> Dossier | None:
    """The dossier when `code` exists and `verifier` matches it; None otherwise (same work either way).

    The caller has spent one attempt of the dossier's budget (`budget.reserve` or `budget.spend`); a match
    gives it back."""
    dossier = session.exec(select(Dossier).where(Dossier.code == code.strip().upper())).first()
    if dossier is None:
        decoy = services.cipher.encrypt("0000000000")
        hmac.compare_digest(_last4(services, decoy).encode(), verifier.encode())
        return None
    if not verifier_matches(services, dossier, verifier):
        return None
    budget.refund(session, services=services, subject=budget.dossier_subject(code))
    return dossier


def by_code(
    session: Session,
    *,
    services: DomainServices,
    code: str,
    verifier: str | None,
    actor: str,
) -> LookupResult | None:
    """The masked status timeline, or None (refused: unknown code or wrong verifier)."""
    verifier = _four_digits(verifier, field="verifier", what="số điện thoại hoặc số CCCD/CMND")
    now = services.clock.now()
    dossier = find_verified(session, services=services, code=code, verifier=verifier)
    audit.record(
        session,
        actor=actor,
        action="public.lookup_code",
        at=now,
        dossier_code=dossier.code if dossier else None,
        data={"result": "found" if dossier else "refused"},
    )
    return result_of(session, services=services, dossier=dossier, now=now) if dossier else None


def result_of(session: Session, *, services: DomainServices, dossier: Dossier, now: datetime) -> LookupResult:
    """The whole lookup answer: the list's summary plus the procedure code, the dates and the timeline."""
    rows = session.exec(
        select(ControlLogEntry)
        .where(ControlLogEntry.dossier_id == dossier.id)
        .order_by(col(ControlLogEntry.id))
    ).all()
    summary = summary_of(session, services=services, dossier=dossier, now=now)
    payment = payments.payable(session, dossier=dossier)
    return LookupResult(
        **summary.model_dump(),
        payment_url=services.payment_url(payment.token) if payment else None,
        payment_amount=payment.amount if payment else None,
        procedure_code=dossier.procedure_code,
        received_at=_utc(dossier.accepted_at),
        finished_at=_utc(dossier.finished_at),
        timeline=[
            TimelineItem(
                step=r.step,
                step_name=r.step_name,
                unit=r.from_unit,
                next_unit=r.to_unit,
                at=ensure_utc(r.at),
                due_at=_utc(r.due_at),
                on_time=r.on_time,
            )
            for r in rows if r.step not in control_log.INTERNAL_STEPS
        ],
    )


def summary_of(
    session: Session, *, services: DomainServices, dossier: Dossier, now: datetime
) -> DossierSummary:
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    late = lateness(session, dossier=dossier, services=services, now=now)
    return DossierSummary(
        code=dossier.code,
        procedure_name=procedure.name,
        applicant_name=mask_name(dossier.applicant_name),
        national_status=dossier.national_status,
        status_name=NATIONAL_NAMES[dossier.national_status],
        submitted_at=ensure_utc(dossier.submitted_at),
        due_at=_utc(dossier.due_at),
        lateness=str(late) if late else None,
        lateness_name=LATENESS_NAMES.get(str(late)) if late else None,
    )


def by_id(
    session: Session,
    *,
    services: DomainServices,
    id_number: str,
    actor: str,
    phone_last4: str | None = None,
    zalo_user_id: str | None = None,
) -> list[DossierSummary] | None:
    """The dossiers of the holder of `id_number`, proved by `phone_last4` or by `zalo_user_id` (a Zalo
    account whose proven phone (one-time code) is the applicant's, or already linked to the dossier;
    passed by the webhook only, never from a request). None when nothing matches both factors.

    The caller has spent one attempt of the ID number's budget (`budget.id_subject`); a match gives it
    back."""
    number = normalize_id_number(id_number)
    if zalo_user_id is None:
        phone_last4 = _four_digits(phone_last4, field="phone_last4", what="số điện thoại của người nộp")
    now = services.clock.now()
    candidates = session.exec(
        select(Dossier)
        .where(Dossier.applicant_id_hash == services.cipher.lookup_hash(ID_HASH_KIND, number))
        .order_by(col(Dossier.submitted_at).desc(), col(Dossier.id).desc())
        .limit(ID_RESULTS)
    ).all()
    if zalo_user_id is not None:
        user = get_user(session, user_id=zalo_user_id)
        phone_hash = user.phone_hash if user is not None else None
        matched = [
            d
            for d in candidates
            if d.zalo_user_id == zalo_user_id
            or (phone_hash is not None and d.applicant_phone_hash == phone_hash)
        ]
    else:
        assert phone_last4 is not None
        matched = [
            d
            for d in candidates
            if hmac.compare_digest(_last4(services, d.applicant_phone_enc).encode(), phone_last4.encode())
        ]
    audit.record(
        session,
        actor=actor,
        action="public.lookup_id",
        at=now,
        data={
            "result": "found" if matched else "refused",
            "count": len(matched),
            "factor": "zalo" if zalo_user_id else "phone_last4",
        },
    )
    if not matched:
        return None
    budget.refund(session, services=services, subject=budget.id_subject(number))
    return [summary_of(session, services=services, dossier=d, now=now) for d in matched]


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=VN_TZ)
    return start, start + timedelta(days=1)


def mask_code(code: str) -> str:
    """`H60.22-261124-0001` → `H60.22-261124-****`: enough to recognise, not enough to look up."""
    head, sep, tail = code.rpartition("-")
    return f"{head}{sep}{'*' * len(tail)}" if sep else "*" * len(code)


def by_name(
    session: Session,
    *,
    services: DomainServices,
    full_name: str,
    procedure_code: str | None,
    received_on: date | None,
    actor: str,
) -> NameMatchList:
    """Dossiers of exactly this (unaccented, case-insensitive) name, for one procedure and one day of
    submission; at most NAME_RESULTS, masked."""
    if not procedure_code or received_on is None:
        raise ValidationFailed(
            "Tra cứu theo họ tên cần chọn thủ tục hành chính và ngày nộp hồ sơ.",
            errors=[
                {"field": f, "message": f"{name}: bắt buộc khi tra cứu theo họ tên."}
                for f, name, v in (("procedure_code", "Thủ tục hành chính", procedure_code),
                                   ("received_on", "Ngày nộp hồ sơ", received_on))
                if not v
            ],
        )
    key = search_key(full_name)
    if len(key.split()) < 2:
        raise ValidationFailed(
            "Vui lòng nhập đầy đủ họ và tên.",
            errors=[{"field": "full_name", "message": "Họ và tên: cần đủ họ và tên (ít nhất hai từ)."}],
        )
    start, end = local_day_bounds(received_on)
    rows = session.exec(
        select(Dossier)
        .where(
            Dossier.applicant_name_search == key,
            Dossier.procedure_code == procedure_code.strip().upper(),
            col(Dossier.submitted_at) >= start,
            col(Dossier.submitted_at) < end,
        )
        .order_by(col(Dossier.submitted_at), col(Dossier.id))
        .limit(NAME_RESULTS + 1)
    ).all()
    now = services.clock.now()
    audit.record(
        session,
        actor=actor,
        action="public.lookup_name",
        at=now,
        data={"procedure": procedure_code, "count": min(len(rows), NAME_RESULTS)},
    )
    items = [
        NameMatch(
            code_hint=mask_code(d.code),
            applicant_name=mask_name(d.applicant_name),
            procedure_name=get_version(session, version_id=d.procedure_version_id).name,
            submitted_on=to_local(ensure_utc(d.submitted_at)).date(),
            status_name=NATIONAL_NAMES[d.national_status],
        )
        for d in rows[:NAME_RESULTS]
    ]
    return NameMatchList(items=items, truncated=len(rows) > NAME_RESULTS)


def _utc(value: datetime | None) -> datetime | None:
    return ensure_utc(value) if value is not None else None
