"""Retention of personal data by the archive rules: when a closed dossier's retention period ends, its
applicant's personal data is erased or anonymised and the fields the statistics need are kept.

A dossier is closed at a terminal status (`statuses.TERMINAL`: returned, refused, stopped), from its
`returned_at`, else its `finished_at`. Its period is `settings.retention.years[procedure_code]`, else
`default_years`; procedures in `permanent` are never erased. Periods follow the province's list of records
retention periods under the archives law (Luật Lưu trữ 33/2024/QH15); once a period ends the personal data is
no longer needed for the purpose it was collected for (Luật 91/2025/QH15 on personal data protection, NĐ
356/2025), so it is erased while the anonymous record stays for the QĐ 766 statistics.

Erased: the applicant's name (replaced by `ANONYMOUS`), ID, phone, email, address, representative, DVCQG
account id, the Zalo link (`zalo_user_id`) and, when no other live dossier has that Zalo account, its
conversation and phone proofs; every stored file of the dossier (scans, forms, receipts, results: all carry
the applicant's data), whose rows stay with their kind, form and number; the texts and recipients of its
outbox rows; the comment of its rating. Kept: code, procedure, agencies and department, channel, statuses,
dates, lateness, fees paid online, the rating's level and criteria, the control log (officials, not the
applicant) and the audit trail.

Each dossier is anonymised in its own transaction with an audit entry (`retention.anonymise`, no personal
data in it); `dry_run` lists what would be anonymised and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from connectors.outbox import OutboxMessage
from connectors.outbox.models import DEAD, PENDING, SENDING
from workflows import audit
from workflows.core.config import RetentionSettings
from workflows.core.db import session_scope
from workflows.core.text import search_key
from workflows.documents.models import ERASED, DossierDocument
from workflows.documents.storage import FileStore
from workflows.dossiers import national_sync
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import TERMINAL
from workflows.identity.actor import SYSTEM
from workflows.ratings.models import SatisfactionRating
from workflows.zalo.models import ConversationEntry, PhoneProof

ANONYMOUS = "Đã ẩn danh"
JOB = "retention"
ACTION = "retention.anonymise"


@dataclass(frozen=True)
class Expired:
    code: str
    procedure_code: str
    closed_at: datetime
    expires_at: datetime
    years: int


@dataclass(frozen=True)
class Outcome:
    code: str
    files: frozenset[str]  # storage keys to erase once the transaction committed
    outbox_rows: int


def add_years(moment: datetime, years: int) -> datetime:
    """The same instant `years` later on the calendar (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def expired(session: Session, *, settings: RetentionSettings, now: datetime, limit: int) -> list[Expired]:
    """Closed dossiers not yet anonymised whose retention ended at or before `now`, oldest closing first."""
    closed_at = func.coalesce(col(Dossier.returned_at), col(Dossier.finished_at))
    shortest = min([settings.default_years, *settings.years.values()])
    # Prefilter in SQL by the shortest period; each candidate is then checked against its own.
    rows = session.exec(
        select(Dossier.code, Dossier.procedure_code, closed_at)
        .where(col(Dossier.status).in_([s.value for s in TERMINAL]), col(Dossier.personal_data_erased_at).is_(None),
               closed_at.is_not(None), closed_at <= add_years(now, -shortest))
        .order_by(closed_at, col(Dossier.id))).all()
    found: list[Expired] = []
    for code, procedure, closed in rows:
        if procedure in settings.permanent:
            continue
        years = settings.years.get(procedure, settings.default_years)
        ends = add_years(closed, years)
        if ends <= now:
            found.append(Expired(code=code, procedure_code=procedure, closed_at=closed, expires_at=ends,
                                 years=years))
            if len(found) >= limit:
                break
    return found


def anonymise(session: Session, *, due: Expired, now: datetime) -> Outcome | None:
    """Erase the personal data of the dossier `due` names in the caller's transaction (see the module); None
    when another run did it first. The caller erases `Outcome.files` from the store after the commit (a rolled
    back transaction must not lose files its rows still name)."""
    dossier = session.exec(select(Dossier).where(Dossier.code == due.code).with_for_update()).first()
    if dossier is None or dossier.personal_data_erased_at is not None:
        return None
    zalo_user = dossier.zalo_user_id
    dossier.applicant_name = ANONYMOUS
    dossier.applicant_name_search = search_key(ANONYMOUS)
    dossier.applicant_id_enc = dossier.applicant_id_hash = None
    dossier.applicant_phone_enc = dossier.applicant_phone_hash = None
    dossier.applicant_email_enc = dossier.applicant_address_enc = dossier.representative_enc = None
    dossier.applicant_tech_id = None
    dossier.zalo_user_id = None
    dossier.personal_data_erased_at = now
    dossier.updated_at = now
    session.add(dossier)

    keys: set[str] = set()
    for document in session.exec(select(DossierDocument).where(DossierDocument.dossier_code == dossier.code)):
        if document.storage_key != ERASED:
            keys.add(document.storage_key)
        document.storage_key = ERASED
        document.filename = "da-xoa"
        document.note = None
        session.add(document)

    subjects = [dossier.code, national_sync.subject_ref(dossier.code)]
    # A row the relay holds at this instant (`sending`, a lease of seconds) is not touched, so the relay's
    # update does not race this one; its text then stays (rare: a year after closing nothing is sent).
    rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.subject_ref).in_(subjects),
                                                    OutboxMessage.status != SENDING)).all()
    for row in rows:
        if row.status == PENDING:  # a message still waiting a year after closing will never be worth sending
            row.status = DEAD
        row.payload = {"event": (row.payload or {}).get("event"), "erased": True}
        row.recipient_ref = "erased"
        row.last_error = "retention: personal data erased" if row.status == DEAD else None
        session.add(row)

    for rating in session.exec(select(SatisfactionRating).where(SatisfactionRating.dossier_id == dossier.id)):
        rating.comment = None  # the citizen's own words; the level and the criteria stay for the statistics
        session.add(rating)

    if zalo_user and not session.exec(select(Dossier.id).where(
            Dossier.zalo_user_id == zalo_user, col(Dossier.personal_data_erased_at).is_(None))).first():
        session.exec(delete(ConversationEntry).where(col(ConversationEntry.user_id) == zalo_user))
        session.exec(delete(PhoneProof).where(col(PhoneProof.user_id) == zalo_user))
    session.flush()
    # Identical content is stored once: a file another dossier's document still names stays.
    shared = set(session.exec(select(DossierDocument.storage_key)
                              .where(col(DossierDocument.storage_key).in_(keys))).all()) if keys else set()
    files = frozenset(keys - shared)
    audit.record(session, actor=SYSTEM.username, action=ACTION, at=now, dossier_code=dossier.code,
                 data={"procedure_code": due.procedure_code, "closed_at": due.closed_at.isoformat(),
                       "retention_years": due.years, "files_erased": len(files), "outbox_rows": len(rows),
                       "zalo_link_removed": zalo_user is not None})
    return Outcome(code=dossier.code, files=files, outbox_rows=len(rows))


def run(
    db: Engine, *, store: FileStore, settings: RetentionSettings, now: Callable[[], datetime],
    dry_run: bool = False, limit: int | None = None,
) -> list[Expired]:
    """Anonymise the expired dossiers (at most `limit`, else `settings.batch`), one transaction each; with
    `dry_run` only list them. Returns the dossiers anonymised (or that would be)."""
    at = now()
    with Session(db) as session:
        due = expired(session, settings=settings, now=at, limit=limit or settings.batch)
    if dry_run:
        return due
    done: list[Expired] = []
    for item in due:
        with session_scope(db) as session:
            outcome = anonymise(session, due=item, now=at)
        if outcome is not None:
            for key in sorted(outcome.files):
                store.erase(key)
            done.append(item)
    return done


def job(db: Engine, *, store: FileStore, settings: RetentionSettings, now: Callable[[], datetime]) -> Callable[[], int]:
    """The scheduler's `retention` job: one batch per run, returning how many dossiers it anonymised."""
    return lambda: len(run(db, store=store, settings=settings, now=now))

