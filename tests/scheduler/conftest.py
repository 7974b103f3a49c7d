"""Scheduler fixtures: the domain on a ManualClock with reference data, demo officials and deployed BPMN."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, col, select

from engine.models import WorkItem
from tests.scheduler.assembly import Domain, build_domain, seed
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.dossiers import service as dossier_service
from workflows.dossiers.models import Dossier
from workflows.dossiers.schemas import DossierCreate
from workflows.identity.actor import Actor
from workflows.identity.models import Official
from workflows.reminders.models import OfficialNotification
from workflows.tasks import service as task_service

APPLICANT = {
    "full_name": "Nguyễn Thị Hồng Nhung",
    "id_number": "008190012345",
    "phone": "0912345678",
    "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang",
}


@pytest.fixture
def domain(db: DbEngine, clock: ManualClock, settings: Settings) -> Domain:
    built = build_domain(settings, clock, db)
    seed(built)
    return built


def actor(session: Session, username: str) -> Actor:
    official = session.exec(select(Official).where(Official.username == username)).one()
    return Actor(
        username=official.username,
        display_name=official.full_name,
        kind="official",
        department_id=official.department_id,
        roles=frozenset(official.roles),
    )


def intake(domain: Domain, *, procedure: str = "VHTTDL-KARAOKE") -> str:
    """A counter dossier accepted on the spot; returns its code."""
    with session_scope(domain.db) as session:
        clerk = actor(session, "mot_cua")
        body = DossierCreate(
            procedure_code=procedure, channel="counter", applicant=APPLICANT, notify_zalo=True
        )
        dossier = dossier_service.intake(
            session, engine=domain.engine, services=domain.services, actor=clerk, body=body
        )
        task_service.accept_at_counter(
            session, engine=domain.engine, services=domain.services, actor=clerk, dossier=dossier
        )
        return dossier.code


def open_item(domain: Domain, code: str) -> WorkItem:
    with Session(domain.db) as session:
        items = session.exec(
            select(WorkItem).where(WorkItem.business_key == code, WorkItem.state == "open")
        ).all()
        assert len(items) == 1, [i.element_id for i in items]
        session.expunge(items[0])
        return items[0]


def complete(domain: Domain, username: str, code: str, data: dict[str, Any]) -> None:
    item = open_item(domain, code)
    with session_scope(domain.db) as session:
        task_service.complete(
            session,
            engine=domain.engine,
            services=domain.services,
            actor=actor(session, username),
            task_id=item.id,
            data=data,
        )


def set_due(domain: Domain, task_id: str, *, due_at: datetime, created_at: datetime | None = None) -> None:
    """What the domain does from the procedure's step hours, with a due time the test chooses."""
    with session_scope(domain.db) as session:
        item = session.get(WorkItem, task_id)
        assert item is not None
        item.due_at = due_at
        if created_at is not None:
            item.created_at = created_at
        session.add(item)


def dossier(domain: Domain, code: str) -> Dossier:
    with Session(domain.db) as session:
        row = session.exec(select(Dossier).where(Dossier.code == code)).one()
        session.expunge(row)
        return row


def notifications(domain: Domain) -> list[tuple[str, str, str | None]]:
    """(username, kind, task id or dossier code) of every notification, oldest first."""
    with Session(domain.db) as session:
        rows = session.exec(
            select(
                Official.username,
                OfficialNotification.kind,
                OfficialNotification.task_id,
                OfficialNotification.dossier_code,
            )
            .join(Official, col(Official.id) == OfficialNotification.official_id)
            .order_by(col(OfficialNotification.id))
        ).all()
        return [(username, kind, task_id or code) for username, kind, task_id, code in rows]
