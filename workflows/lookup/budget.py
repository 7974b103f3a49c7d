"""One budget of second-factor attempts per dossier code and per ID number, whatever the client.

A 4-digit verifier has 10,000 values (two of them right: the phone's and the ID number's last digits), so
the per-client limit alone cannot protect it from many clients or many Zalo accounts. Every place that
checks a second factor — the lookup by code and by ID number, the citizen's documents and their download,
the Zalo keyword lookups — first spends one attempt of the subject's budget, then checks:

- an attempt is reserved *before* the check, so attempts running at the same time cannot overrun it;
- a check that matches gives its attempt back (`refund`): a citizen who reads the status and downloads the
  receipt again and again never exhausts it; only wrong guesses stay counted;
- once exhausted, every attempt is refused without being checked, the right verifier too, until the
  window slides on (`Retry-After`). The same refusal for a code that does not exist, so codes cannot be
  told apart by their budget.

Budgets are keyed by a keyed hash of the subject (an ID number is never stored in clear).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflows.collaborators import DomainServices
from workflows.core import ratelimit
from workflows.core.db import session_scope
from workflows.privacy import normalize_id_number

# 10 wrong guesses an hour and 20 a day on one dossier (or one ID number), from all clients together:
# about 0.4 % of the verifier space a day, while a citizen who mistypes a few times is not locked out.
LIMITS = (ratelimit.Limit(10, 3600), ratelimit.Limit(20, 86400))
# 100 wrong guesses a day from one client over all dossiers together: spread over many dossier codes (they
# are sequential) the per-dossier budget alone let one address try 20 on each of hundreds a day. Right
# answers are given back, so a commune office behind one address is not locked out by its citizens' use.
CLIENT_LIMITS = (ratelimit.Limit(100, 86400),)
_MATCHED = "motcua.second_factor_matched"


def dossier_subject(code: str) -> str:
    return f"code:{code.strip().upper()}"


def id_subject(id_number: str) -> str:
    """Raises ValidationFailed (422, naming the field) for what is not an ID number."""
    return f"id:{normalize_id_number(id_number)}"


def client_subject(client: str) -> str:
    """The budget of one client (its keyed address, `api/clients.py`) over every dossier and ID number."""
    return f"client:{client}"


def _limits(subject: str) -> tuple[ratelimit.Limit, ...]:
    return CLIENT_LIMITS if subject.startswith("client:") else LIMITS


def _key(services: DomainServices, subject: str, limit: ratelimit.Limit) -> str:
    secret = services.settings.crypto.hmac_key.get_secret_value()
    return f"{ratelimit.client_key(secret=secret, client=f'second-factor:{subject}')}:2f:{limit.seconds}"


def spend(session: Session, *, services: DomainServices, subject: str) -> ratelimit.TooManyRequests | None:
    """Reserve one attempt of `subject`'s budgets in the caller's transaction; the refusal (not raised)
    when one of them is exhausted, then nothing stays reserved."""
    now = services.clock.now()
    taken: list[ratelimit.Limit] = []
    for limit in _limits(subject):
        wait = ratelimit.count(session, key=_key(services, subject, limit), limit=limit, now=now)
        if wait is not None:
            for done in taken:
                ratelimit.uncount(session, key=_key(services, subject, done), limit=done, now=now)
            return exhausted(subject, wait)
        taken.append(limit)
    return None


def reserve(db: Engine, *, services: DomainServices, subject: str) -> None:
    """`spend` in its own committed transaction (so that a guess counts even when the request then fails);
    raises the refusal. Call it before the request's own session writes: SQLite has a single writer."""
    with session_scope(db) as session:
        refused = spend(session, services=services, subject=subject)
    if refused is not None:
        raise refused


def refund(session: Session, *, services: DomainServices, subject: str) -> None:
    """Give back the attempt of a check that matched (in the caller's transaction); the session remembers
    the match, so that the caller gives the client's attempt back too (`matched`)."""
    now: datetime = services.clock.now()
    for limit in _limits(subject):
        ratelimit.uncount(session, key=_key(services, subject, limit), limit=limit, now=now)
    if not subject.startswith("client:"):
        session.info[_MATCHED] = True


def matched(session: Session) -> bool:
    """Whether a second factor checked in this session matched (its attempt was given back)."""
    return bool(session.info.get(_MATCHED))


def exhausted(subject: str, wait: int) -> ratelimit.TooManyRequests:
    if subject.startswith("client:"):
        return ratelimit.TooManyRequests(
            "Đã có quá nhiều lần nhập sai thông tin xác minh từ địa chỉ mạng này trong ngày nên việc tra cứu "
            f"tạm dừng. Vui lòng thử lại sau {wait_text(wait)} hoặc liên hệ Bộ phận Một cửa.",
            retry_after=wait, code="second_factor_locked")
    what = "số CCCD/CMND này" if subject.startswith("id:") else "mã hồ sơ này"
    return ratelimit.TooManyRequests(
        f"Thông tin xác minh của {what} đã bị nhập sai quá nhiều lần nên việc tra cứu tạm dừng. Vui lòng "
        f"thử lại sau {wait_text(wait)} hoặc liên hệ Bộ phận Một cửa.",
        retry_after=wait, code="second_factor_locked",
    )


def wait_text(seconds: int) -> str:
    """`45 giây`, `12 phút`, `3 giờ 5 phút` (rounded up to the minute past one minute)."""
    if seconds < 60:
        return f"{seconds} giây"
    minutes = -(-seconds // 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} phút"
    return f"{hours} giờ" + (f" {minutes} phút" if minutes else "")
