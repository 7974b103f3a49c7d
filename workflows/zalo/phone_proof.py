"""Proving a phone shared in Zalo before it links anything.

`user_submit_info` carries whatever phone the citizen typed: it proves nothing. On it we send a one-time
code of 6 digits by ZBS template *by phone*, which Zalo delivers to the account that owns the number, and
ask the sharing account to send the code back in the chat. Only then is the phone recorded on the account
(`ZaloUser.phone_hash`, which means "proven") and the dossiers filed with it linked to the account; until
then that account hears nothing about those dossiers by user id, and their citizen is reached by phone
templates (the sender's fallback).

Bounds: a code lives 10 minutes and allows 5 tries; an account, and a phone, get at most 3 codes an
hour (a victim's phone cannot be flooded with codes). The code is stored only as a keyed hash; it travels
in the outbox row that sends it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from connectors.outbox import enqueue
from connectors.zalo.payload import MessagePayload
from connectors.zalo.users import ZaloUser, get_user, record_user
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core import ratelimit
from workflows.core.clock import ensure_utc
from workflows.dossiers.models import Dossier
from workflows.lookup.budget import wait_text
from workflows.privacy import InvalidPersonalData, PersonalDataCipher, mask_phone, to_zalo_phone
from workflows.zalo.models import PhoneProof

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PER_ACCOUNT = ratelimit.Limit(3, 3600)
PER_PHONE = ratelimit.Limit(3, 3600)
EVENT = "xac_thuc_so_dien_thoai"
_CODE = re.compile(r"^\s*(\d{3})\s?(\d{3})\s*$")
RESHARE = "Vui lòng nhắn LIÊN KẾT và chia sẻ lại số điện thoại để nhận mã mới."


def code_in(text: str) -> str | None:
    """The 6-digit code when the message is just that (`123456` or `123 456`)."""
    match = _CODE.match(text)
    return match.group(1) + match.group(2) if match else None


def _code_hash(services: DomainServices, *, user_id: str, code: str) -> str:
    key = services.settings.crypto.hmac_key.get_secret_value().encode()
    return hmac.new(key, f"phone-proof:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def start(session: Session, *, services: DomainServices, user_id: str, phone_84: str) -> str:
    """Send a code to the account holding `phone_84`; the reply to the account that shared it."""
    try:
        phone = to_zalo_phone(phone_84)
    except InvalidPersonalData:
        return "Số điện thoại đã chia sẻ không phải số di động; vui lòng chia sẻ số di động đã khai trong hồ sơ."
    masked = mask_phone(phone)
    phone_hash = services.cipher.lookup_hash("phone", phone)
    user = get_user(session, user_id=user_id)
    if user is not None and user.phone_hash == phone_hash:
        linked = link_by_phone(session, user_id=user_id, phone_hash=phone_hash, services=services)
        return f"Số điện thoại {masked} đã được xác thực cho tài khoản Zalo này. " + _linked_text(linked)
    now = services.clock.now()
    secret = services.settings.crypto.hmac_key.get_secret_value()
    for key, limit in ((f"zalo:{user_id}:phone_proof", PER_ACCOUNT),
                       (f"{ratelimit.client_key(secret=secret, client=f'phone:{phone_hash}')}:phone_proof",
                        PER_PHONE)):
        wait = ratelimit.count(session, key=key, limit=limit, now=now)
        if wait is not None:
            return f"Đã gửi quá nhiều mã xác thực; vui lòng thử lại sau {wait_text(wait)}."
    session.execute(update(PhoneProof).where(col(PhoneProof.user_id) == user_id,
                                             col(PhoneProof.status) == "pending").values(status="replaced"))
    code = f"{secrets.randbelow(10**6):06d}"
    proof = PhoneProof(user_id=user_id, phone_enc=services.cipher.encrypt(phone), phone_hash=phone_hash,
                       code_hash=_code_hash(services, user_id=user_id, code=code), status="pending",
                       created_at=now, expires_at=now + CODE_TTL)
    session.add(proof)
    session.flush()
    payload = MessagePayload(event=EVENT, template={"otp": code},
                             template_id=services.settings.zalo.phone_proof_template_id)
    enqueue(session, idempotency_key=f"phone-proof:{proof.id}", kind="phone_proof",
            subject_ref=f"phone_proof:{proof.id}", recipient_ref=f"phone_proof:{proof.id}", now=now,
            payload=payload.to_dict())
    audit.record(session, actor=f"zalo:{user_id}", action="zalo.phone_proof_sent", at=now)
    return (f"Mã xác thực gồm 6 chữ số vừa được gửi qua Zalo tới tài khoản đăng ký số điện thoại {masked}. "
            f"Vui lòng nhắn lại mã đó tại đây trong vòng {CODE_TTL.seconds // 60} phút để xác thực số điện "
            "thoại và nhận thông báo về hồ sơ tại đây.")


def confirm(session: Session, *, services: DomainServices, user_id: str, code: str) -> tuple[str, bool]:
    """Check a code sent back by `user_id`: the reply, and whether to ask for the phone again."""
    # Locked: Zalo delivers an account's messages in parallel, and guesses checked side by side must each
    # count against the five tries (unlocked, K guesses at once were checked for the price of one).
    proof = session.exec(select(PhoneProof).where(PhoneProof.user_id == user_id, PhoneProof.status == "pending")
                         .order_by(col(PhoneProof.id).desc()).with_for_update()).first()
    if proof is None:
        return "Không có mã xác thực nào đang chờ. " + RESHARE, False
    now = services.clock.now()
    if now > ensure_utc(proof.expires_at):
        proof.status = "expired"
        session.add(proof)
        return "Mã xác thực đã hết hạn. " + RESHARE, True
    proof.attempts += 1
    session.add(proof)
    if not hmac.compare_digest(proof.code_hash, _code_hash(services, user_id=user_id, code=code)):
        audit.record(session, actor=f"zalo:{user_id}", action="zalo.phone_proof_failed", at=now,
                     data={"attempt": proof.attempts})
        if proof.attempts >= MAX_ATTEMPTS:
            proof.status = "failed"
            return f"Mã xác thực không đúng. Ông/bà đã nhập sai {MAX_ATTEMPTS} lần. " + RESHARE, True
        return f"Mã xác thực không đúng; ông/bà còn {MAX_ATTEMPTS - proof.attempts} lần thử.", False
    proof.status, proof.proven_at = "proven", now
    # Zalo gives a number to one account: whoever held it before no longer does.
    session.execute(update(ZaloUser).where(col(ZaloUser.phone_hash) == proof.phone_hash,
                                           col(ZaloUser.user_id) != user_id).values(phone_hash=None))
    record_user(session, user_id=user_id, now=now, phone_hash=proof.phone_hash)
    linked = link_by_phone(session, user_id=user_id, phone_hash=proof.phone_hash, services=services)
    audit.record(session, actor=f"zalo:{user_id}", action="zalo.phone_proven", at=now, data={"linked": linked})
    masked = mask_phone(services.cipher.decrypt(proof.phone_enc))
    return f"Đã xác thực số điện thoại {masked}. " + _linked_text(linked), False


def _linked_text(linked: int) -> str:
    if linked:
        return (f"Đã liên kết {linked} hồ sơ với tài khoản Zalo này; ông/bà sẽ nhận thông báo các bước xử lý "
                "tại đây. Gửi \"tra cứu\" để xem trạng thái.")
    return "Khi có hồ sơ mang số điện thoại này, ông/bà sẽ nhận thông báo tại đây."


def link_by_phone(session: Session, *, user_id: str, phone_hash: str, services: DomainServices) -> int:
    """Attach the account that proved `phone_hash` to the dossiers filed with it (not yet linked);
    returns how many."""
    dossiers = session.exec(select(Dossier).where(Dossier.applicant_phone_hash == phone_hash,
                                                  col(Dossier.zalo_user_id).is_(None))).all()
    for dossier in dossiers:
        dossier.zalo_user_id = user_id
        session.add(dossier)
        audit.record(session, actor=f"zalo:{user_id}", action="zalo.link_by_phone", at=services.clock.now(),
                     dossier_code=dossier.code)
    return len(dossiers)


def code_phone(session: Session, *, proof_id: str, cipher: PersonalDataCipher) -> str | None:
    """The phone (84…) to send a code to, at send time; None once the code is no longer pending."""
    proof = session.get(PhoneProof, int(proof_id)) if proof_id.isdigit() else None
    if proof is None or proof.status != "pending":
        return None
    return cipher.decrypt(proof.phone_enc)
