"""Adapters from the authenticated principal to the domain's Actor, and the engine/domain dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from api.auth import CurrentOfficial, require_principal, require_roles
from api.deps import SessionDep, WiringDep
from engine import Engine
from workflows.collaborators import DomainServices
from workflows.core.db import memo
from workflows.identity.actor import Actor
from workflows.identity.models import Department, Official, Role
from workflows.identity.principal import Principal


def _department_name(session: Session, department_id: int | None) -> str:
    if department_id is None:
        return ""
    # Remembered for the request: the dossier's forms and messages ask for the same department.
    department = memo(session, "department", department_id, lambda: session.get(Department, department_id))
    return department.name if department else ""


def actor_of_official(session: Session, official: Official) -> Actor:
    return Actor(username=official.username, display_name=official.full_name, kind="official",
                 department_id=official.department_id,
                 department_name=_department_name(session, official.department_id),
                 roles=frozenset(official.roles))


def get_actor(session: SessionDep, official: CurrentOfficial) -> Actor:
    return actor_of_official(session, official)


def get_reception_actor(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_principal(roles=(Role.MOT_CUA,), scopes=("dossiers:write",)))],
) -> Actor:
    return Actor(username=principal.name, display_name=principal.display_name, kind=principal.kind,
                 department_id=principal.department_id,
                 department_name=_department_name(session, principal.department_id),
                 roles=principal.roles, scopes=principal.scopes)


def get_admin_actor(session: SessionDep,
                    official: Annotated[Official, Depends(require_roles(Role.QUAN_TRI))]) -> Actor:
    return actor_of_official(session, official)


def get_engine(wiring: WiringDep) -> Engine:
    return wiring.engine


def get_domain(wiring: WiringDep) -> DomainServices:
    return wiring.domain


ActorDep = Annotated[Actor, Depends(get_actor)]
ReceptionOrKey = Annotated[Actor, Depends(get_reception_actor)]
Admin = Annotated[Actor, Depends(get_admin_actor)]
EngineDep = Annotated[Engine, Depends(get_engine)]
DomainDep = Annotated[DomainServices, Depends(get_domain)]
