"""Engine fixtures: an Engine on the ManualClock, operators that record calls, BPMN fixture loading."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session

from engine import Engine, OperatorContext, OperatorRegistry
from engine.models import Incident
from workflows.core.clock import ManualClock

BPMN_DIR = Path(__file__).parent / "bpmn"


def load_bpmn(name: str) -> bytes:
    return (BPMN_DIR / name).read_bytes()


@dataclass
class Operators:
    """Records every operator call; `flaky_fails` switches the failing operator on and off."""

    calls: list[tuple[str, dict[str, Any], OperatorContext]] = field(default_factory=list)
    flaky_fails: bool = True

    def notify(self, ctx: OperatorContext, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("zalo/notify", params, ctx))
        return {"queued": True, "event": params["event"]}

    def flaky(self, ctx: OperatorContext, params: dict[str, Any]) -> dict[str, Any] | None:
        # Writes a row first, so the test can prove the savepoint dropped it when the operator fails.
        ctx.session.add(
            Incident(
                instance_id=ctx.instance_id,
                element_id="operator_row",
                reason="side effect",
                created_at=ctx.now,
            )
        )
        ctx.session.flush()
        self.calls.append(("test/flaky", params, ctx))
        if self.flaky_fails:
            raise RuntimeError("dịch vụ tạm thời không phản hồi")
        return None

    def events(self) -> list[str]:
        return [params["event"] for name, params, _ in self.calls if name == "zalo/notify"]


@pytest.fixture
def operators() -> Operators:
    return Operators()


@pytest.fixture
def registry(operators: Operators) -> OperatorRegistry:
    registry = OperatorRegistry()
    registry.register("zalo/notify", operators.notify, required_params={"event"})
    registry.register("test/flaky", operators.flaky)
    return registry


@pytest.fixture
def make_engine(registry: OperatorRegistry, clock: ManualClock) -> Callable[..., Engine]:
    def make(**kwargs: Any) -> Engine:
        return Engine(operators=registry, now=clock.now, **kwargs)

    return make


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


@pytest.fixture
def tx(db: DbEngine) -> Iterator[Callable[[], Session]]:
    """Opens sessions the way the API does: one transaction per command, committed by the caller."""
    sessions: list[Session] = []

    def open_session() -> Session:
        session = Session(db, expire_on_commit=False)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        session.close()


@pytest.fixture
def bpmn() -> Callable[[str], bytes]:
    return load_bpmn


@pytest.fixture
def deploy() -> Callable[[Engine, Session, str], Any]:
    def run(engine: Engine, session: Session, name: str) -> Any:
        result = engine.deploy(session, content=load_bpmn(name), filename=name)
        session.commit()
        return result

    return run
