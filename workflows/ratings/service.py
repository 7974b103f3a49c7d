"""Satisfaction ratings (đánh giá mức độ hài lòng) of finished dossiers, the QĐ 766 satisfaction indicator.

Who may rate: whoever passes the lookup's second factor (dossier code + the last 4 digits of the applicant's
phone or ID number, checked by `lookup.find_verified`, so an unknown code and a wrong verifier get the same
refusal). When: once processing is over for the citizen — the result returned (national status 10), or the
dossier refused at the desk (3), refused after appraisal or stopped/withdrawn (8): a refusal or a stop is
the answer the citizen received, and NĐ 61/2018 has the handling of the procedure rated, not only granted
ones. A dossier "đã xử lý xong" whose result is still waiting at the desk is not yet rateable. Once per
dossier: a unique key on the dossier makes a second rating (even a concurrent one) a 409.

The scale is the national portal's three levels, overall and optionally per criterion, with an optional
comment (`schemas.py`). The period statistics are in `queries.py`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import to_local
from workflows.core.errors import Conflict, ValidationFailed
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import NATIONAL_NAMES, TERMINAL
from workflows.lookup.schemas import SatisfactionState
from workflows.lookup.service import find_verified, refusal
from workflows.ratings.models import SatisfactionRating
from workflows.ratings.schemas import COMMENT_MAX, CRITERIA, LEVELS, RatingCreated, RatingIn

# Rateable once processing is over for the citizen: returned, refused or stopped (the terminal statuses).
RATEABLE = frozenset(s.value for s in TERMINAL)
_VERIFIER = "Cần nhập đúng 4 chữ số cuối số điện thoại hoặc số CCCD/CMND của người nộp"


def _validate(body: RatingIn) -> list[dict[str, str]]:
    errors = []
    verifier = (body.verifier or "").strip()
    if len(verifier) != 4 or not verifier.isdigit():
        errors.append({"field": "verifier", "message": f"{_VERIFIER}."})
    if body.level not in LEVELS:
        errors.append({"field": "level", "message": "Vui lòng chọn mức độ hài lòng: Rất hài lòng, Hài lòng "
                                                    "hoặc Không hài lòng."})
    for key, value in body.criteria.items():
        if key not in CRITERIA:
            errors.append({"field": f"criteria.{key}", "message": "Tiêu chí đánh giá không có trong phiếu."})
        elif value not in LEVELS:
            errors.append({"field": f"criteria.{key}", "message": f"Mức đánh giá «{CRITERIA[key]}» không hợp lệ."})
    if body.comment is not None and len(body.comment) > COMMENT_MAX:
        errors.append({"field": "comment", "message": f"Ý kiến tối đa {COMMENT_MAX} ký tự."})
    return errors


def rate(session: Session, *, services: DomainServices, body: RatingIn, actor: str) -> RatingCreated:
    """Record the rating of `body.code` in the caller's transaction (flushes). Refusals: ValidationFailed
    (422), the lookup's refusal (404), Conflict (409) when the dossier is not finished or already rated.
    The attempt is audited under `actor` before any refusal, so the caller should commit refusals too."""
    errors = _validate(body)
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    now = services.clock.now()
    dossier = find_verified(session, services=services, code=body.code, verifier=(body.verifier or "").strip())
    existing = _rating_of(session, dossier) if dossier else None
    result = "refused" if dossier is None else "rated" if existing else (
        "open" if dossier.status in RATEABLE else "not_finished")
    audit.record(session, actor=actor, action="public.rating", at=now,
                 dossier_code=dossier.code if dossier else None, data={"result": result})
    if dossier is None:
        raise refusal()
    if existing is not None:
        raise _already_rated(dossier.code, existing.rated_at)
    if dossier.status not in RATEABLE:
        raise Conflict(
            f"Hồ sơ {dossier.code} chưa kết thúc (trạng thái: {NATIONAL_NAMES[dossier.national_status]}). "
            "Ông/bà có thể đánh giá mức độ hài lòng sau khi nhận kết quả.", code="rating_not_open")
    rating = SatisfactionRating(dossier_id=dossier.id or 0, level=body.level, criteria=dict(body.criteria),
                                comment=(body.comment or None), rated_at=now)
    try:
        with session.begin_nested():  # a concurrent rating of the same dossier loses on the unique key
            session.add(rating)
    except IntegrityError:
        raise _already_rated(dossier.code, now) from None
    return RatingCreated(
        code=dossier.code, level=body.level, level_name=LEVELS[body.level], rated_at=now,
        message=f"Cảm ơn ông/bà đã đánh giá mức độ hài lòng về việc giải quyết hồ sơ {dossier.code}.")


def _already_rated(code: str, at: datetime) -> Conflict:
    return Conflict(f"Hồ sơ {code} đã được đánh giá ngày {to_local(at):%d/%m/%Y}. Mỗi hồ sơ chỉ được đánh "
                    "giá một lần.", code="rating_already_given")


def _rating_of(session: Session, dossier: Dossier) -> SatisfactionRating | None:
    return session.exec(select(SatisfactionRating).where(SatisfactionRating.dossier_id == dossier.id)).first()


def state_of(session: Session, *, code: str) -> SatisfactionState:
    """Whether the (already verified) dossier `code` can be rated, and its rating if given."""
    dossier = session.exec(select(Dossier).where(Dossier.code == code)).one()
    rating = _rating_of(session, dossier)
    return SatisfactionState(
        open=rating is None and dossier.status in RATEABLE, rated=rating is not None,
        rated_at=rating.rated_at if rating else None, level_name=LEVELS[rating.level] if rating else None)
