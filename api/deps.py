"""Request dependencies: the transaction (one per request, committed before the response), settings, wiring,
the engine and the domain's collaborators. Who is calling is in api/auth.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session

from connectors.dvcqg import DvcqgClient
from connectors.outbox import enqueued_in
from engine import Engine
from workflows.collaborators import DomainServices
from workflows.core.clock import Clock
from workflows.core.config import Settings
from workflows.wiring import Wiring


# The dependencies that only hand out a part of the wiring are `async def`: FastAPI runs a plain `def`
# dependency in its thread pool, one hop there and back per dependency and request (7.6 % of the server's
# GIL samples under 8 clients, issue 22), for a getattr. Those that touch the database stay `def`.
async def get_wiring(request: Request) -> Wiring:
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


def _part_of_wiring(name: str) -> Callable[[Wiring], Awaitable[Any]]:
    """A dependency giving the wiring's part `name`: routes ask for the part they use, not the whole."""

    async def dependency(wiring: WiringDep) -> Any:
        return getattr(wiring, name)

    return dependency


SettingsDep = Annotated[Settings, Depends(_part_of_wiring("settings"))]
ClockDep = Annotated[Clock, Depends(_part_of_wiring("clock"))]
EngineDep = Annotated[Engine, Depends(_part_of_wiring("engine"))]
DomainDep = Annotated[DomainServices, Depends(_part_of_wiring("domain"))]
DvcqgDep = Annotated[DvcqgClient, Depends(_part_of_wiring("dvcqg"))]
