"""Deployed process definitions: versioning by content hash and the in-memory spec cache."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, union_all
from sqlmodel import Session, select

from engine.errors import DefinitionInvalid, DefinitionNotFound
from engine.models import Incident, ProcessDefinition, ProcessInstance, WorkItem
from engine.spiff import SpiffSerializer
from engine.store import as_utc
from engine.validation import DefinitionValidator
from engine.views import DeployResult, Waiting

UNFINISHED = ("running", "waiting", "incident")  # ProcessInstance.status of an instance not yet at its end


class Definitions:
    """Deploys and looks up definitions; caches restored specs by definition id (thread-safe)."""

    def __init__(
        self, *, validator: DefinitionValidator, serializer: SpiffSerializer, now: Callable[[], datetime]
    ) -> None:
        self.validator = validator
        self.serializer = serializer
        self.now = now
        self._specs: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def validate(self, content: bytes, *, filename: str) -> list[dict[str, Any]]:
        errors, _ = self.validator.parse(content, filename=filename, now=self.now())
        return errors

    def deploy(self, session: Session, *, content: bytes, filename: str) -> DeployResult:
        now = self.now()
        errors, parsed = self.validator.parse(content, filename=filename, now=now)
        if errors or parsed is None:
            raise DefinitionInvalid(f"{filename}: BPMN definition is invalid", errors=errors)
        sha = hashlib.sha256(content).hexdigest()
        same = select(ProcessDefinition).where(
            ProcessDefinition.key == parsed.key, ProcessDefinition.sha256 == sha
        )
        existing = session.exec(same).first()
        if existing is not None:
            return _deployed(existing, created=False)
        latest = session.exec(
            select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == parsed.key)
        ).one()
        row = ProcessDefinition(
            key=parsed.key,
            version=(latest or 0) + 1,
            sha256=sha,
            filename=filename,
            bpmn_xml=content.decode("utf-8"),
            deployed_at=now,
            spec_json=self.serializer.spec_to_json(
                parsed.spec, parsed.subprocess_specs, interrupting=parsed.interrupting
            ),
        )
        session.add(row)
        session.flush()
        return _deployed(row, created=True)

    def all(self, session: Session) -> list[ProcessDefinition]:
        stmt = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
        return list(session.exec(stmt).all())

    def get(self, session: Session, *, key: str, version: int | None) -> ProcessDefinition:
        """The given version, or the latest when version is None."""
        stmt = select(ProcessDefinition).where(ProcessDefinition.key == key)
        if version is None:
            stmt = stmt.order_by(ProcessDefinition.version.desc())  # type: ignore[attr-defined]
        else:
            stmt = stmt.where(ProcessDefinition.version == version)
        row = session.exec(stmt).first()
        if row is None:
            suffix = "" if version is None else f" version {version}"
            raise DefinitionNotFound(f"process definition '{key}'{suffix} not found")
        return row

    def previous(self, session: Session, *, key: str, version: int) -> ProcessDefinition | None:
        """The highest version of `key` below `version`, or None for the first."""
        stmt = (select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version < version)
                .order_by(ProcessDefinition.version.desc()))  # type: ignore[attr-defined]
        return session.exec(stmt).first()

    def waiting(self, session: Session, *, definition_id: int) -> Waiting:
        """One aggregate statement: unfinished instances of the definition, those with open work items per
        element, and those stopped by an open incident per element (instances, not rows: a multi-instance
        step counts its instance once)."""
        unfinished = (ProcessInstance.definition_id == definition_id,
                      ProcessInstance.status.in_(UNFINISHED))  # type: ignore[attr-defined]
        instances = select(literal("instances").label("kind"), literal("").label("element_id"),
                           func.count(ProcessInstance.id).label("n")).where(*unfinished)
        tasks = (select(literal("task"), WorkItem.element_id, func.count(func.distinct(WorkItem.instance_id)))
                 .join(ProcessInstance, ProcessInstance.id == WorkItem.instance_id)  # type: ignore[arg-type]
                 .where(WorkItem.state == "open", *unfinished).group_by(WorkItem.element_id))
        incidents = (select(literal("incident"), Incident.element_id,
                            func.count(func.distinct(Incident.instance_id)))
                     .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)  # type: ignore[arg-type]
                     .where(Incident.resolved_at.is_(None), *unfinished)  # type: ignore[union-attr]
                     .group_by(Incident.element_id))
        total, at_tasks, at_incidents = 0, {}, {}
        for kind, element_id, n in session.connection().execute(union_all(instances, tasks, incidents)):
            if kind == "instances":
                total = int(n)
            elif kind == "task":
                at_tasks[str(element_id)] = int(n)
            else:
                at_incidents[str(element_id or "")] = int(n)
        return Waiting(instances=total, at_tasks=at_tasks, at_incidents=at_incidents)

    def spec(self, session: Session, definition_id: int) -> tuple[Any, dict[str, Any]]:
        # Restored from the stored JSON, never re-parsed: the converter wires loop children (trap T16).
        with self._lock:
            cached = self._specs.get(definition_id)
        if cached is not None:
            return cached
        row = session.get(ProcessDefinition, definition_id)
        if row is None:
            raise DefinitionNotFound(f"process definition {definition_id} not found")
        restored = self.serializer.spec_from_json(row.spec_json)
        with self._lock:
            return self._specs.setdefault(definition_id, restored)


def _deployed(row: ProcessDefinition, *, created: bool) -> DeployResult:
    assert row.id is not None
    return DeployResult(
        definition_id=row.id,
        key=row.key,
        version=row.version,
        sha256=row.sha256,
        deployed_at=as_utc(row.deployed_at) or row.deployed_at,
        created=created,
    )
