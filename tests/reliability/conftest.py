"""Reliability suite fixtures: the PII scan of every log line and response written during each test, and the
whole system as subprocesses. What the suite measures goes to the `figures` of tests/conftest.py, printed at
the end of the run."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from reliability_system import BPMN_DIR, PASSWORD, System, free_port, seed

from api.main import create_app
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.seed import seed_all

# Phone and ID numbers used by the suite, in every form that could leak (local, international, 12 digits).
# The last group of a UUID ("…-050138335792") is not an ID number.
PII_PATTERNS = [re.compile(r"(?<!\d)(?<![0-9a-fA-F]-)" + p + r"(?!\d)") for p in (
    r"0(?:91|98|97|86|35)\d{7}",   # mobile numbers the tests give to applicants
    r"84(?:91|98|97|86|35)\d{7}",  # the same in Zalo's international form
    r"0\d{2}[0-3]\d{8}",           # 12-digit CCCD numbers (province code 0xx, century digit)
)]

HEX = frozenset("0123456789abcdefABCDEF")


UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _inside_digest(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside a run of 32 or more hex digits (a SHA-256 printed on Mẫu 06 or in a
    response) or inside a UUID (a task's id, "…-9e0982831549"): such runs hold a phone-shaped group of digits
    on some days, and are not personal data."""
    while start > 0 and text[start - 1] in HEX:
        start -= 1
    while end < len(text) and text[end] in HEX:
        end += 1
    if end - start >= 32:
        return True
    return any(m.start() <= start and end <= m.end() for m in UUID.finditer(text, max(0, start - 24), end + 1))


class Written:
    """Everything the system wrote during a test: log records of this process, response bodies the tests
    saw, and the subprocess log files."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.files: list[Path] = []

    def response(self, where: str, body: str) -> None:
        self.texts.append((where, body))

    def leaks(self) -> list[tuple[str, str]]:
        found = []
        sources = list(self.texts) + [(str(p), p.read_text(errors="replace")) for p in self.files if p.exists()]
        for where, text in sources:
            for pattern in PII_PATTERNS:
                for match in pattern.finditer(text):
                    if _inside_digest(text, match.start(), match.end()):
                        continue
                    found.append((where, text[max(0, match.start() - 60):match.end() + 20]))
        return found


class _Capture(logging.Handler):
    def __init__(self, written: Written) -> None:
        super().__init__(logging.DEBUG)
        self.written = written
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.written.texts.append((f"log {record.name}", self.format(record)))
        except Exception:  # noqa: BLE001 - a broken record must not break the test that logged it
            self.handleError(record)


@pytest.fixture(autouse=True)
def written(figures: Counter[str]) -> Iterator[Written]:
    """Fails the test when a full phone or ID number appears in any log line or response it produced."""
    sink = Written()
    handler = _Capture(sink)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield sink
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    figures["all: log lines and responses scanned for PII"] += len(sink.texts)
    leaks = sink.leaks()
    figures["all: unmasked phone/ID numbers found"] += len(leaks)
    assert not leaks, f"unmasked personal numbers written: {leaks[:5]}"


@pytest.fixture
def system(settings: Settings, db: Any, tmp_path: Path, written: Written) -> Iterator[System]:
    """Seeded database; the server running (no scheduler); the worker not yet started."""
    seed(settings)
    system = System(settings, port=free_port(), workdir=tmp_path, on_response=written.response)
    written.files += [system.server.log_path, system.worker.log_path]
    system.start_server()
    try:
        yield system
    finally:
        system.stop()


@pytest.fixture
def app_client(settings: Settings, clock: ManualClock, db: Any, written: Written) -> Iterator[TestClient]:
    """The whole system in-process (no background jobs), seeded; every response body goes to the PII scan."""
    app = create_app(settings, clock=clock, start_background=False)
    with TestClient(app) as client:
        with session_scope(app.state.wiring.db) as session:
            seed_all(session, engine=app.state.wiring.engine, bpmn_dir=BPMN_DIR, demo=True,
                     hasher=app.state.wiring.password_hasher)

        def record(response: Any) -> None:
            if response.request.url.path == "/openapi.json":
                return  # the documentation's examples are made-up numbers, not anybody's data
            response.read()
            written.response(f"{response.request.method} {response.request.url.path} → {response.status_code}",
                             response.text)

        client.event_hooks = {"request": [], "response": [record]}
        yield client


@pytest.fixture
def login(app_client: TestClient) -> Callable[[str], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in cache:
            response = app_client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            cache[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return cache[username]

    return headers
