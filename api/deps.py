"""Request dependencies: the transaction (one per request, committed before the response), settings, wiring,
the engine and the domain's collaborators. Who is calling is in api/auth.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import anyio
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


@contextmanager
def _transaction(wiring: Wiring) -> Iterator[Session]:
    with Session(wiring.db, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
            if enqueued_in(session):
                wiring.notify_relay()  # messages enqueued by this request leave now, not at the next poll
        except BaseException:
            session.rollback()
            raise


async def get_session(wiring: WiringDep) -> AsyncIterator[Session]:
    """The request's session; committed (or rolled back) before the response is sent.

    Opening a session reads nothing (its connection is taken at its first statement), so it is opened on
    the event loop; only the commit, which talks to the database, runs in a worker thread. As a plain `def`
    generator FastAPI would hop to a thread for the opening too: one hop fewer on every request (issue 22).
    The closing is shielded from cancellation and does not wait for the thread pool's capacity, as FastAPI
    does for its own generator dependencies: a commit must never wait for a thread that a request blocked
    on this transaction's locks holds (see api/limits.py)."""
    transaction = _transaction(wiring)
    session = transaction.__enter__()
    try:
        yield session
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            swallowed = await anyio.to_thread.run_sync(transaction.__exit__, type(exc), exc, exc.__traceback__,
                                                       limiter=anyio.CapacityLimiter(1))
        if not swallowed:
            raise
    else:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(transaction.__exit__, None, None, None,
                                           limiter=anyio.CapacityLimiter(1))


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
