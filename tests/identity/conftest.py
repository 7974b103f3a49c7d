"""Fixtures of the identity tests: demo officials in the database, an app on the test clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.main import create_app
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.identity.seed import seed_demo


@pytest.fixture
def demo(db: Engine, clock: ManualClock) -> None:
    with Session(db) as session:
        seed_demo(session, now=clock.now())
        session.commit()


@pytest.fixture
def client(settings: Settings, clock: ManualClock, db: Engine, demo: None) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock, start_background=False)) as test_client:
        yield test_client

