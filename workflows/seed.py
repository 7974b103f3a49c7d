"""Reference data every installation needs (calendar overrides, procedure catalogue, BPMN library) and
the development-only demo officials."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from sqlmodel import Session

from engine import DeployResult, Engine
from workflows.calendar.service import sync_calendar_overrides
from workflows.core.clock import Clock
from workflows.identity.seed import seed_demo
from workflows.procedures.service import sync_catalogue


def deploy_paths(session: Session, *, engine: Engine, paths: list[Path]) -> list[DeployResult]:
    """Deploy each BPMN file (a directory means its *.bpmn files); same content keeps its version."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.bpmn")) if path.is_dir() else [path])
    return [engine.deploy(session, content=f.read_bytes(), filename=f.name) for f in files]


def seed_reference(session: Session, *, engine: Engine, bpmn_dir: Path, clock: Clock | None = None) -> None:
    sync_calendar_overrides(session, clock=clock)
    sync_catalogue(session)
    deploy_paths(session, engine=engine, paths=[bpmn_dir])


def seed_all(
    session: Session, *, engine: Engine, bpmn_dir: Path, demo: bool, clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
) -> None:
    """The reference data (calendar, catalogue, processes) and, with `demo`, the demo agencies and officials
    (their password hashed with `hasher`, the settings' `auth.argon2`)."""
    seed_reference(session, engine=engine, bpmn_dir=bpmn_dir, clock=clock)
    if demo:
        seed_demo(session, now=clock.now() if clock else None, hasher=hasher)
