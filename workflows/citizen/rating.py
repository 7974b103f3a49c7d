"""Satisfaction ratings (đánh giá mức độ hài lòng) of finished dossiers, the QĐ 766 satisfaction indicator.

Who may rate: whoever passes the lookup's second factor (dossier code + the last 4 digits of the applicant's
phone or ID number, checked by `lookup.find_verified`, so an unknown code and a wrong verifier get the same
refusal). When: once processing is over for the citizen — the result returned (national status 10), or the
dossier refused at the desk (3), refused after appraisal or stopped/withdrawn (8): a refusal or a stop is
the answer the citizen received, and NĐ 61/2018 has the handling of the procedure rated, not only granted
ones. A dossier "đã xử lý xong" whose result is still waiting at the desk is not yet rateable. Once per
dossier: a unique key on the dossier makes a second rating (even a concurrent one) a 409.

The scale is the national portal's three levels, overall and optionally per criterion, with an optional
comment. The period statistics count the ratings of dossiers that ended in the period."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, and_, col, or_, select

from workflows import audit
from workflows.citizen.lookup import find_verified, refusal
from workflows.citizen.models import SatisfactionRating
from workflows.citizen.schemas import LookupByCodeIn, SatisfactionState
from workflows.collaborators import DomainServices
from workflows.core.clock import VnDateTime, to_local
from workflows.core.errors import Conflict, ValidationFailed
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import NATIONAL_NAMES, TERMINAL, SubStatus

LEVELS: dict[str, str] = {"rat_hai_long": "Rất hài lòng", "hai_long": "Hài lòng", "khong_hai_long": "Không hài lòng"}
CRITERIA: dict[str, str] = {
    "huong_dan": "Hướng dẫn, tiếp nhận hồ sơ",
    "thoi_gian": "Thời gian giải quyết so với giấy hẹn",
    "thai_do": "Thái độ, tác phong của cán bộ, công chức",
}
RATEABLE = frozenset(s.value for s in TERMINAL)
COMMENT_MAX = 2000
_VERIFIER = "Cần nhập đúng 4 chữ số cuối số điện thoại hoặc số CCCD/CMND của người nộp"


class RatingIn(LookupByCodeIn):
    """The dossier code and the lookup's second factor, the overall level, optional levels per criterion
    and an optional comment. Values are checked by `rate` so that every refusal reads in Vietnamese."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{"code": "H60.22-261124-0001", "verifier": "5678", "level": "hai_long",
                                         "criteria": {"thoi_gian": "rat_hai_long"}, "comment": "Cán bộ nhiệt tình."}]},
    )
    level: str = Field(default="", max_length=32, description="rat_hai_long | hai_long | khong_hai_long")
    criteria: dict[str, str] = Field(default_factory=dict, description="huong_dan | thoi_gian | thai_do → level")
    comment: str | None = Field(default=None, description=f"Ý kiến (tối đa {COMMENT_MAX} ký tự)")


class RatingCreated(BaseModel):
    code: str
    level: str
    level_name: str
    rated_at: VnDateTime
    message: str


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


class LevelCounts(BaseModel):
    very_satisfied: int = 0
    satisfied: int = 0
    dissatisfied: int = 0


class CriterionCounts(LevelCounts):
    criterion: str
    name: str


class Satisfaction(LevelCounts):
    """QĐ 766 satisfaction indicator over the dossiers that ended in the period (result returned, refused,
    stopped): how many were rated, at which level, and the share rated "Rất hài lòng" or "Hài lòng"."""

    ended: int = 0
    rated: int = 0
    satisfaction_rate: float | None = Field(None, description="(Rất hài lòng + Hài lòng) ÷ đã đánh giá × 100")
    rated_rate: float | None = Field(None, description="Đã đánh giá ÷ hồ sơ đã kết thúc × 100")
    criteria: list[CriterionCounts] = Field(default_factory=list)


_FIELD = {"rat_hai_long": "very_satisfied", "hai_long": "satisfied", "khong_hai_long": "dissatisfied"}


def _ended_between(since: datetime, until: datetime):  # type: ignore[no-untyped-def]
    returned = and_(Dossier.status == SubStatus.DA_TRA_KET_QUA.value, col(Dossier.returned_at) >= since,
                    col(Dossier.returned_at) < until)
    stopped = and_(col(Dossier.status).in_(RATEABLE - {SubStatus.DA_TRA_KET_QUA.value}),
                   col(Dossier.finished_at) >= since, col(Dossier.finished_at) < until)
    return or_(returned, stopped)


def counts(
    session: Session, *, department_id: int | None, since: datetime, until: datetime,
) -> dict[str, Counter[str]]:
    """Per procedure code, for the department's dossiers that ended in [since, until): `ended`, `rated`,
    each level, and `criterion:level` (the input of `indicator`)."""
    ended = _ended_between(since, until)
    closed = session.exec(select(Dossier.procedure_code).where(
        Dossier.department_id == department_id, ended)).all()
    ratings = session.exec(
        select(Dossier.procedure_code, SatisfactionRating.level, SatisfactionRating.criteria)
        .join(Dossier, col(Dossier.id) == SatisfactionRating.dossier_id)
        .where(Dossier.department_id == department_id, ended)).all()
    result: dict[str, Counter[str]] = defaultdict(Counter)
    for procedure_code in closed:
        result[procedure_code]["ended"] += 1
    for procedure_code, level, criteria in ratings:
        bucket = result[procedure_code]
        bucket["rated"] += 1
        bucket[level] += 1
        for key, value in (criteria or {}).items():
            bucket[f"{key}:{value}"] += 1
    return dict(result)


def indicator(c: Counter[str]) -> Satisfaction:
    """The indicator from counts keyed `ended`, `rated`, a level, or `criterion:level`."""
    rated = c["rated"]
    return Satisfaction(
        ended=c["ended"], rated=rated, **{_FIELD[k]: c[k] for k in LEVELS},
        satisfaction_rate=round(100 * (c["rat_hai_long"] + c["hai_long"]) / rated, 2) if rated else None,
        rated_rate=round(100 * rated / c["ended"], 2) if c["ended"] else None,
        criteria=[CriterionCounts(criterion=key, name=name, **{_FIELD[k]: c[f"{key}:{k}"] for k in LEVELS})
                  for key, name in CRITERIA.items()],
    )
