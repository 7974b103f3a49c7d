"""Resolving an outbox row's opaque `recipient_ref` to a Zalo recipient at send time (in the relay's
thread, with its own session), and loading attachments. Phone numbers are decrypted only here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, col, select

from connectors.outbox import Recipient
from connectors.zalo.users import ZaloUser
from workflows.documents.models import DossierDocument
from workflows.documents.storage import FileStore
from workflows.dossiers.models import Dossier
from workflows.feedback.models import FeedbackCase
from workflows.feedback.operators import RECIPIENT_PREFIX as FEEDBACK
from workflows.identity.models import Official
from workflows.privacy import InvalidPersonalData, PersonalDataCipher, to_zalo_phone
from workflows.zalo import consent
from workflows.zalo.phone_proof import code_phone


@dataclass(frozen=True)
class RecipientResolver:
    """The relay's `resolve_recipient`: each call in a session of its own (the relay's thread)."""

    db: DbEngine
    cipher: PersonalDataCipher

    def __call__(self, ref: str) -> Recipient | None:
        with Session(self.db) as session:
            return resolve_recipient(session, ref=ref, cipher=self.cipher)


def resolve_recipient(session: Session, *, ref: str, cipher: PersonalDataCipher) -> Recipient | None:
    """Who `ref` is now, or None when nobody may be reached: `dossier:<code>` (the applicant, while they
    consent), `feedback:<id>` (the citizen who sent the feedback), `official:<id>`, `zalo:<user id>` (a reply
    to a follower), `phone_proof:<id>` (a one-time code: by phone only, to whoever holds the number).

    Raises `UnreachableRecipient` with the reason officials read when the citizen stopped Zalo notifications
    (dossier and feedback messages) or unfollowed the OA (replies): `workflows/zalo/consent.py`."""
    kind, _, key = ref.partition(":")
    if kind == "dossier":
        return _dossier(session, code=key, cipher=cipher)
    if ref.startswith(FEEDBACK):
        return _feedback(session, case_id=ref.removeprefix(FEEDBACK), cipher=cipher)
    if kind == "official":
        official = session.get(Official, int(key)) if key.isdigit() else None
        if official is None or official.disabled:
            return None
        return Recipient(zalo_user_id=official.zalo_user_id, phone_84=None, display_name=official.full_name)
    if kind == "zalo":
        consent.refuse_reply_if_unfollowed(session, user_id=key)
        return Recipient(zalo_user_id=key, phone_84=None, display_name="")
    if kind == "phone_proof":
        phone = code_phone(session, proof_id=key, cipher=cipher)
        return Recipient(zalo_user_id=None, phone_84=phone, display_name="") if phone else None
    return None


def _dossier(session: Session, *, code: str, cipher: PersonalDataCipher) -> Recipient | None:
    dossier = session.exec(select(Dossier).where(Dossier.code == code)).first()
    if dossier is None or not dossier.notify_zalo:
        return None  # no consent (or withdrawn): nothing is sent
    consent.refuse_if_stopped(session, user_ids=(dossier.zalo_user_id,), phone_hash=dossier.applicant_phone_hash)
    user_id = dossier.zalo_user_id
    if user_id is None and dossier.applicant_phone_hash:
        # A citizen who followed the OA and proved this phone (one-time code) is reached by user id;
        # otherwise by template by phone, which Zalo delivers to the account that owns the number.
        linked = session.exec(select(ZaloUser).where(ZaloUser.phone_hash == dossier.applicant_phone_hash,
                                                     col(ZaloUser.followed).is_(True))
                              .order_by(col(ZaloUser.updated_at).desc())).first()
        user_id = linked.user_id if linked else None
    phone = cipher.decrypt(dossier.applicant_phone_enc) if dossier.applicant_phone_enc else None
    return Recipient(zalo_user_id=user_id, phone_84=to_zalo_phone(phone) if phone else None,
                     display_name=dossier.applicant_name)


def _feedback(session: Session, *, case_id: str, cipher: PersonalDataCipher) -> Recipient | None:
    """The Zalo account the feedback came from and/or its contact phone (`84…`)."""
    case = session.get(FeedbackCase, int(case_id)) if case_id.isdigit() else None
    if case is None:
        return None
    consent.refuse_if_stopped(session, user_ids=(case.zalo_user_id,), phone_hash=case.contact_phone_hash)
    phone_84 = None
    if case.contact_phone_enc:
        try:
            phone_84 = to_zalo_phone(cipher.decrypt(case.contact_phone_enc))
        except InvalidPersonalData:
            phone_84 = None  # a landline: no Zalo account; the Zalo user id may still reach them
    return Recipient(zalo_user_id=case.zalo_user_id, phone_84=phone_84, display_name=case.contact_name or "")


@dataclass(frozen=True)
class AttachmentLoader:
    db: DbEngine
    store: FileStore

    def __call__(self, document_id: str) -> tuple[str, bytes]:
        with Session(self.db) as session:
            document = session.get(DossierDocument, int(document_id))
            if document is None:
                raise LookupError(f"document {document_id} not found")
            return document.filename, self.store.open(document.storage_key)
