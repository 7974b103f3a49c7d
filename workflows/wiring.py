"""The composition root: builds every long-lived collaborator from the settings, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine as DbEngine

from engine import Engine, OperatorRegistry
from workflows.citizen.operators import register_feedback_operators
from workflows.core.clock import Clock, SystemClock
from workflows.core.config import Settings
from workflows.core.db import make_db_engine
from workflows.documents.storage import FileStore
from workflows.dossiers.operators import register_operators
from workflows.dossiers.services import CalendarProvider, DomainServices
from workflows.privacy import PersonalDataCipher, install_log_masking


@dataclass
class Wiring:
    settings: Settings
    clock: Clock
    db: DbEngine
    metrics_registry: CollectorRegistry
    cipher: PersonalDataCipher
    engine: Engine
    domain: DomainServices
    background: list[Any] = field(default_factory=list)

    def start_background(self) -> None:
        for worker in self.background:
            worker.start()

    def scheduler_state(self) -> dict[str, Any]:
        return {"running": any(getattr(w, "running", False) for w in self.background)}

    def close(self) -> None:
        for worker in reversed(self.background):
            worker.stop()
        self.db.dispose()


def build_wiring(settings: Settings, *, clock: Clock | None = None) -> Wiring:
    logging.getLogger("spiff").setLevel(logging.WARNING)  # Spiff logs every state change at INFO
    install_log_masking()  # no phone or ID number reaches a log (DESIGN.md "Data protection")
    clock = clock or SystemClock()
    cipher = PersonalDataCipher.from_settings(settings.crypto)
    domain = DomainServices(settings=settings, clock=clock, cipher=cipher, calendars=CalendarProvider(settings),
                            store=FileStore(settings.storage.directory))
    operators = OperatorRegistry()
    register_operators(operators, domain)
    register_feedback_operators(operators, domain)
    return Wiring(
        settings=settings,
        clock=clock,
        db=make_db_engine(settings.database),
        metrics_registry=CollectorRegistry(),
        cipher=cipher,
        engine=Engine(operators=operators, now=clock.now, max_task_depth=settings.max_task_depth),
        domain=domain,
    )
