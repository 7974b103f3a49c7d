"""Incidents of process instances for administrators: list them with their business key (a dossier's or a
feedback case's code), retry once fixed (`process.retry_incident`, which runs the process's after-step hook)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from engine import Engine
from engine.models import Incident, ProcessInstance
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.identity.actor import Actor
from workflows.process import service as process


def list_open(session: Session) -> list[dict[str, Any]]:
    rows = session.exec(select(Incident, ProcessInstance)
                        .join(ProcessInstance, col(ProcessInstance.id) == col(Incident.instance_id))
                        .where(col(Incident.resolved_at).is_(None)).order_by(col(Incident.id))).all()
    return [{"id": i.id, "dossier_code": p.business_key, "process_key": p.process_key, "element_id": i.element_id,
             "reason": i.reason, "created_at": i.created_at} for i, p in rows]


def retry(
    session: Session, *, engine: Engine, services: DomainServices, actor: Actor, incident_id: int,
) -> dict[str, Any]:
    result = process.retry_incident(session, engine=engine, services=services, actor=actor, incident_id=incident_id)
    now = services.clock.now()
    audit.record(session, actor=actor.username, action="incident.retry", at=now, dossier_code=result.business_key,
                 data={"incident_id": incident_id, "status": result.status})
    return {"instance_id": result.instance_id, "dossier_code": result.business_key, "status": result.status}
