"""A small composition of the domain for the scheduler tests and their worker processes: the same pieces the
wiring builds (services, engine with the dossier operators), on a ManualClock, without the HTTP app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, select

from engine import Engine, OperatorRegistry
from workflows.calendar.service import sync_calendar_overrides
from workflows.collaborators import CalendarProvider, DomainServices
from workflows.core.clock import VN_TZ, ManualClock
from workflows.core.config import Settings
from workflows.core.db import make_db_engine, session_scope
from workflows.documents.storage import FileStore
from workflows.dossiers.operators import register_operators
from workflows.identity.models import Official
from workflows.identity.seed import seed_demo
from workflows.privacy import PersonalDataCipher
from workflows.procedures.service import sync_catalogue
from workflows.scheduler import Scheduler
from workflows.seed import deploy_paths
from workflows.wiring import after_step_hooks

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
DOSSIER_BPMN = ("mot_cua_chuan.bpmn", "karaoke_vu_truong.bpmn")
TIMER_BPMN = Path(__file__).resolve().parent / "bpmn" / "cho_hen.bpmn"


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given in Vietnam local time, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


@dataclass
class Domain:
    db: DbEngine
    clock: ManualClock
    settings: Settings
    services: DomainServices
    engine: Engine

    def scheduler(self, **kwargs: Any) -> Scheduler:
        return Scheduler(
            db=self.db,
            engine=self.engine,
            relay=kwargs.pop("relay", None),
            services=self.services,
            settings=self.settings,
            **kwargs,
        )

    def official(self, username: str) -> Official:
        with Session(self.db) as session:
            official = session.exec(select(Official).where(Official.username == username)).one()
            session.expunge(official)
            return official


def build_domain(settings: Settings, clock: ManualClock, db: DbEngine | None = None) -> Domain:
    services = DomainServices(
        settings=settings,
        clock=clock,
        cipher=PersonalDataCipher.from_settings(settings.crypto),
        calendars=CalendarProvider(settings),
        store=FileStore(settings.storage.directory),
        after_step=after_step_hooks(),
    )
    registry = OperatorRegistry()
    register_operators(registry, services)
    engine = Engine(operators=registry, now=clock.now, max_task_depth=settings.max_task_depth)
    return Domain(
        db=db or make_db_engine(settings.database),
        clock=clock,
        settings=settings,
        services=services,
        engine=engine,
    )


def seed(domain: Domain) -> None:
    """Calendar, catalogue, the dossier processes the catalogue names, the timer fixture, demo officials."""
    with session_scope(domain.db) as session:
        sync_calendar_overrides(session, clock=domain.clock)
        sync_catalogue(session)
        deploy_paths(
            session, engine=domain.engine, paths=[BPMN_DIR / name for name in DOSSIER_BPMN] + [TIMER_BPMN]
        )
        seed_demo(session, now=domain.clock.now())
