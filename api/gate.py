"""The gate in front of the citizens' endpoints: per-client rate limits, second-factor budgets, and refusals
that keep their audit entries.

Limits and budgets are counted in transactions of their own, before the request's transaction writes
anything (SQLite has a single writer), so a refused or failed request still counts. A refusal raised by
the service behind the gate — an unknown code, a wrong verifier, a rating refused — has already written
its audit entry in the request's transaction, which the session dependency would roll back with the
error: the gate commits that transaction first, then lets the error answer as problem+json like any
other (`api/errors.py`: the status, the Vietnamese detail, `Retry-After` on a 429)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from api.clients import client_of
from api.deps import DomainDep, SessionDep, WiringDep
from workflows.collaborators import DomainServices
from workflows.core import ratelimit
from workflows.core.errors import MotcuaError
from workflows.lookup import budget
from workflows.wiring import Wiring


class PublicGate:
    """One request of a citizen's endpoint, from one client (`client`, a keyed hash of its address)."""

    def __init__(self, request: Request, wiring: WiringDep, session: SessionDep, domain: DomainDep) -> None:
        self._wiring: Wiring = wiring
        self._session: Session = session
        self._domain: DomainServices = domain
        self.client = client_of(request, wiring)

    @property
    def actor(self) -> str:
        """The caller as the audit trail names it (no personal data)."""
        return f"public:{self.client}"

    def limit(self, kind: str, limit: ratelimit.Limit) -> None:
        """Count one request of `kind` from this client; raises TooManyRequests (429) past `limit`."""
        ratelimit.hit(self._wiring.db, key=f"{self.client}:{kind}", limit=limit, now=self._wiring.clock.now())

    @contextmanager
    def second_factor(self, subject: Callable[[str], str], value: str) -> Iterator[None]:
        """Around a check of a second factor of `subject(value)` (`budget.dossier_subject`,
        `budget.id_subject`): first the per-client lookup limit, then one attempt of the client's budget and
        of the subject's shared budget (a refusal of either, or a `value` that is not one, is raised before
        anything is checked). After the block a match gives the client's attempt back too (only wrong
        guesses count), and a refusal raised inside keeps its audit entry (`keeping_refusals`)."""
        self.limit("lookup", ratelimit.LOOKUP)
        budget.reserve(self._wiring.db, services=self._domain, subject=budget.client_subject(self.client))
        budget.reserve(self._wiring.db, services=self._domain, subject=subject(value))
        with self.keeping_refusals():
            try:
                yield
            finally:
                if budget.matched(self._session):
                    budget.refund(self._session, services=self._domain,
                                  subject=budget.client_subject(self.client))

    @contextmanager
    def keeping_refusals(self) -> Iterator[None]:
        """A MotcuaError raised inside commits the request's transaction (the refused attempt's audit entry
        with it) before it propagates."""
        try:
            yield
        except MotcuaError:
            self._session.commit()
            raise


Gate = Annotated[PublicGate, Depends(PublicGate)]
