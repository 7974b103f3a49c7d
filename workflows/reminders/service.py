"""Officials' in-app notification list (read side of the reminders). Functions flush, never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflows.core.errors import NotFound
from workflows.reminders.models import OfficialNotification


def list_notifications(
    session: Session, *, official_id: int, unread: bool = False, page: int = 1, page_size: int = 20,
) -> tuple[list[OfficialNotification], int]:
    """The official's notifications, newest first, and how many there are in all."""
    where = [OfficialNotification.official_id == official_id]
    if unread:
        where.append(col(OfficialNotification.read_at).is_(None))
    total = session.exec(select(func.count()).select_from(OfficialNotification).where(*where)).one()
    items = session.exec(
        select(OfficialNotification).where(*where)
        .order_by(col(OfficialNotification.created_at).desc(), col(OfficialNotification.id).desc())
        .offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(items), int(total)


def mark_read(
    session: Session, *, official_id: int, notification_id: int, now: datetime,
) -> OfficialNotification:
    """Mark one of the official's notifications read (idempotent); another official's is not found."""
    row = session.get(OfficialNotification, notification_id)
    if row is None or row.official_id != official_id:
        raise NotFound("Không tìm thấy thông báo.", code="notification_not_found")
    if row.read_at is None:
        row.read_at = now
        session.add(row)
        session.flush()
    return row
