"""Request dependencies: the transaction (one per request, committed before the response), settings, wiring,
the engine and the domain's collaborators. Who is calling is in api/auth.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from connectors.outbox import enqueued_in
from engine import Engine
from workflows.collaborators import DomainServices
from workflows.core.clock import Clock
from workflows.core.config import Settings
from workflows.wiring import Wiring


def get_wiring(request: Request) -> Wiring:
    return request.app.state.wiring  # type: ignore[no-any-return]


WiringDep = Annotated[Wiring, Depends(get_wiring)]


def get_session(wiring: WiringDep) -> Iterator[Session]:
    with Session(wiring.db, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
            if enqueued_in(session):
                wiring.notify_relay()  # messages enqueued by this request leave now, not at the next poll
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_settings(wiring: WiringDep) -> Settings:
    return wiring.settings


def get_clock(wiring: WiringDep) -> Clock:
    return wiring.clock


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def get_engine(wiring: WiringDep) -> Engine:
    return wiring.engine


def get_domain(wiring: WiringDep) -> DomainServices:
    return wiring.domain


EngineDep = Annotated[Engine, Depends(get_engine)]
DomainDep = Annotated[DomainServices, Depends(get_domain)]
