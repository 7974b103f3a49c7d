"""The administrators' roster of officials (the workspace's "Cán bộ" page): each official with department,
title, roles, whether disabled and whether their logins are held back after failed attempts; and the
departments an official may be created in."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from workflows.agencies.models import Agency
from workflows.core.clock import ensure_utc, to_local
from workflows.identity import service
from workflows.identity.models import Department, LoginThrottle
from workflows.identity.schemas import DepartmentOut, OfficialPage, OfficialPublic
from workflows.identity.throttle import account_key


def officials_page(
    session: Session, *, page: int, page_size: int, department_code: str | None, secret: str, now: datetime,
) -> OfficialPage:
    """A page of officials by username, each with the time until which their logins are refused (None when
    they may sign in): the throttle keys accounts by a keyed hash, so each listed username is hashed here."""
    rows, total = service.list_officials(session, page=page, page_size=page_size, department_code=department_code)
    keys = {account_key(secret=secret, username=official.username): official.username for official, _ in rows}
    blocked = {keys[row.key]: ensure_utc(row.blocked_until) for row in session.exec(
        select(LoginThrottle).where(col(LoginThrottle.key).in_(list(keys)))).all()
        if row.blocked_until is not None and ensure_utc(row.blocked_until) > now}
    items = []
    for official, department in rows:
        item = OfficialPublic.of(official, department)
        until = blocked.get(official.username)
        item.login_blocked_until = to_local(until) if until else None
        items.append(item)
    return OfficialPage(items=items, total=total, page=page, page_size=page_size)


def departments(session: Session) -> list[DepartmentOut]:
    """Every department with its agency's name, by agency then name."""
    rows = session.exec(select(Department, Agency.name).join(Agency, col(Agency.code) == col(Department.agency_code),
                                                             isouter=True)
                        .order_by(col(Department.agency_code), col(Department.name))).all()
    return [DepartmentOut(code=d.code, name=d.name, agency_code=d.agency_code, agency_name=agency or d.agency_code)
            for d, agency in rows]
