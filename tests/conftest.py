"""Shared fixtures: a real database per backend (SQLite file and PostgreSQL), migrated with Alembic.

PostgreSQL: `MOTCUA_TEST_POSTGRES_URL` (default postgresql+psycopg://postgres@127.0.0.1:5432/test) is the
admin connection; each test session creates its own database and drops it at the end, so parallel runs do
not meet. With `MOTCUA_TEST_POSTGRES=required` (set by .ci/run) an unreachable server is an error and the
run fails when no PostgreSQL test passed; otherwise PostgreSQL tests are skipped when it is unreachable.

`make test` runs the tests in three pytest-xdist worker processes (`--dist worksteal`: a file's tests may run
in any). Each worker is a pytest session of its own (its own PostgreSQL database, SQLite file under its
own basetemp, `_migrated` engines); the tallies kept in this module (`_pg_passed`, `FIGURES`) are counted in
each worker, handed to the controller in `config.workeroutput` and added up there before the controller
reports and decides the exit status.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import fastapi.dependencies.models as fastapi_models
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from workflows.core import migrate
from workflows.core.clock import ManualClock
from workflows.core.config import DatabaseSettings, Settings
from workflows.core.db import make_db_engine

PG_ADMIN_URL = os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_REQUIRED = os.environ.get("MOTCUA_TEST_POSTGRES", "") == "required"
_pg_passed = 0
FIGURES: Counter[str] = Counter()


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"


_PG_ERROR = _pg_available()
if PG_REQUIRED and _PG_ERROR:
    raise pytest.UsageError(f"MOTCUA_TEST_POSTGRES=required but PostgreSQL is unreachable: {_PG_ERROR}")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    if _PG_ERROR:
        pytest.skip(f"PostgreSQL unreachable: {_PG_ERROR}")
    name = f"motcua_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'motcua-test.db'}"


_migrated: dict[str, Engine] = {}


def _migrated_engine(url: str) -> Engine:
    if url not in _migrated:
        engine = make_db_engine(DatabaseSettings(url=url, pool_size=20))
        migrate.upgrade(engine)
        _migrated[url] = engine
    return _migrated[url]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.node.motcua_pg = True
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    name = "pg_database_url" if backend == "postgresql" else "sqlite_database_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """A migrated database on each backend, emptied after the test (tests may commit freely)."""
    engine = _migrated_engine(database_url)
    yield engine
    _truncate(engine)


def _truncate(engine: Engine) -> None:
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            if tables:
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with Session(db, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def clock() -> ManualClock:
    # Tuesday 2026-11-24 09:00 in Hanoi.
    return ManualClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def signing_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The development CA and officials' key files, made once per worker on first use (keys take time)."""
    return tmp_path_factory.mktemp("signing")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_directory: Path) -> Settings:
    return Settings(
        env="test",
        database=DatabaseSettings(url=database_url, pool_size=20),
        storage={"directory": tmp_path / "files"},  # type: ignore[arg-type]
        scheduler={"enabled": False},  # type: ignore[arg-type]
        # The forms are signed as they are issued only in the tests of the signed forms (test_signatures.py,
        # test_forms_read.py, which turn it on): each signature costs ~0.2 s of CPU, and every intake issues
        # Mẫu 01, which made the suite minutes longer. Results are signed everywhere (the `ky_so` step).
        signing={"directory": signing_directory, "forms": False},  # type: ignore[arg-type]
        # argon2 at its smallest: the suite logs in over a thousand times, and at the production parameters
        # (64 MiB, 3 passes: ~0.25 s each) that was about 5 minutes of the run. What the parameters cost is
        # a setting's matter; tests/identity checks that a login at other parameters rehashes.
        auth={"argon2": {"memory_kib": 1024, "time_cost": 1, "parallelism": 1}},  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
def _forget_built_apps() -> Iterator[None]:
    """Let each test's app be freed when the test ends. FastAPI (0.165) keeps the endpoints and dependencies
    it classified in three module-level LRU caches of 4,096 entries; ours are closures over the app and its
    wiring, so every app a test built stayed alive. A worker then held millions of objects, and a full
    collection of them stopped every thread of the process for 4–6 s (measured with `gc.callbacks`): the
    in-thread emulators missed their clients' timeouts. A server builds one app, so only tests need this."""
    yield
    for name in ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached"):
        cached = getattr(fastapi_models, name, None)
        if cached is not None:
            cached.cache_clear()


@pytest.fixture(scope="session")
def figures() -> Counter[str]:
    """What the suite measured; keys `<backend>: <figure>`, printed at the end of the run."""
    return FIGURES


# Files whose tests run longest (tens of seconds to minutes each: live servers, browsers, process kills). They
# are collected first so that the xdist workers start on them and finish on short tests: in file order
# they came last and one worker ran them alone for minutes while the other had nothing left.
LONG_FIRST = ("tests/reliability/", "tests/web/test_workspace_browser.py", "tests/web/test_admin_browser.py",
              "tests/http_api/test_zalo_", "tests/http_api/test_dvcqg_", "tests/http_api/test_failed_messages.py",
              "tests/scheduler/test_workers.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))  # stable: file order otherwise


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the imports and the collection made lives as long as the process: moved out of the collector's
    view, so that a full collection during a test (which stops the live servers' threads while it runs) walks
    only what the tests made since."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    global _pg_passed
    if report.when == "call" and report.passed and getattr(item, "motcua_pg", False):
        _pg_passed += 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]
    """Controller side of pytest-xdist: add up what a worker counted (it may have died before reporting)."""
    global _pg_passed
    output = getattr(node, "workeroutput", {})
    _pg_passed += output.get("motcua_pg_passed", 0)
    FIGURES.update(output.get("motcua_figures", {}))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller judges the whole run
        workeroutput["motcua_pg_passed"] = _pg_passed
        workeroutput["motcua_figures"] = dict(FIGURES)
        return
    if PG_REQUIRED and exitstatus == 0 and _pg_passed == 0 and session.testscollected:
        session.exitstatus = 1
        print("\nMOTCUA_TEST_POSTGRES=required but no PostgreSQL test passed.")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    terminalreporter.write_line(f"PostgreSQL tests passed: {_pg_passed}")
    if FIGURES:
        terminalreporter.section("reliability figures")
        for key in sorted(FIGURES):
            terminalreporter.write_line(f"{key:<55} {FIGURES[key]:>8}")
