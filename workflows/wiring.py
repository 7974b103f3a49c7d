"""The composition root: builds every long-lived collaborator from the settings, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine as DbEngine

from workflows.core.clock import Clock, SystemClock
from workflows.core.config import Settings
from workflows.core.db import make_db_engine
from workflows.privacy import PersonalDataCipher, install_log_masking


@dataclass
class Wiring:
    settings: Settings
    clock: Clock
    db: DbEngine
    metrics_registry: CollectorRegistry
    cipher: PersonalDataCipher
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
    return Wiring(
        settings=settings,
        clock=clock or SystemClock(),
        db=make_db_engine(settings.database),
        metrics_registry=CollectorRegistry(),
        cipher=PersonalDataCipher.from_settings(settings.crypto),
    )
