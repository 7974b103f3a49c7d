"""The QĐ 766 satisfaction indicator: ratings of the dossiers that ended in a period, per procedure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, and_, col, func, or_, select

from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import SubStatus
from workflows.ratings.models import SatisfactionRating
from workflows.ratings.schemas import CRITERIA, LEVELS, CriterionCounts, Satisfaction
from workflows.ratings.service import RATEABLE

_FIELD = {"rat_hai_long": "very_satisfied", "hai_long": "satisfied", "khong_hai_long": "dissatisfied"}


def _ended_between(since: datetime, until: datetime):  # type: ignore[no-untyped-def]
    returned = and_(Dossier.status == SubStatus.DA_TRA_KET_QUA.value, col(Dossier.returned_at) >= since,
                    col(Dossier.returned_at) < until)
    stopped = and_(col(Dossier.status).in_(RATEABLE - {SubStatus.DA_TRA_KET_QUA.value}),
                   col(Dossier.finished_at) >= since, col(Dossier.finished_at) < until)
    return or_(returned, stopped)


def counts(
    session: Session, *, where: Any, since: datetime, until: datetime, group: Sequence[Any] | None = None,
) -> dict[tuple[Any, ...], Counter[str]]:
    """Per (competent agency, procedure code), or per the values of the `group` expressions (on `Dossier`),
    for the dossiers matching `where` (a condition on `Dossier`) that ended in [since, until): `ended`,
    `rated`, each level, and `criterion:level` (the input of `indicator`). Two queries: the ended dossiers
    counted in the database, the ratings themselves."""
    keys = list(group) if group is not None else [Dossier.agency_code, Dossier.procedure_code]
    ended = _ended_between(since, until)
    closed = session.exec(select(*keys, func.count()).where(where, ended).group_by(*keys)).all()
    ratings = session.exec(
        select(*keys, SatisfactionRating.level, SatisfactionRating.criteria)
        .join(Dossier, col(Dossier.id) == SatisfactionRating.dossier_id)
        .where(where, ended)).all()
    result: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    width = len(keys)
    for row in closed:
        result[tuple(row[:width])]["ended"] += int(row[width])
    for row in ratings:
        bucket = result[tuple(row[:width])]
        level, criteria = row[width], row[width + 1]
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
