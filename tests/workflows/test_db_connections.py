"""PostgreSQL connections from the pool (`workflows.core.db.make_db_engine`): one the server closed (a restart, a
terminated backend) is replaced before a transaction gets it; one the server did not close is handed out without
a round trip (no `SELECT 1` before each request and each relay transaction, docs/PERFORMANCE.md)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from workflows.core.config import DatabaseSettings
from workflows.core.db import make_db_engine, session_scope


def _backend_pid(engine: Any) -> int:
    with session_scope(engine) as session:
        return int(session.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_closed_is_replaced_and_a_live_one_is_not_pinged(
    pg_database_url: str, request: pytest.FixtureRequest
) -> None:
    request.node.motcua_pg = True
    engine = make_db_engine(DatabaseSettings(url=pg_database_url, pool_size=1))
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    try:
        first = _backend_pid(engine)
        assert [_backend_pid(engine) for _ in range(5)] == [first] * 5  # one pooled connection, reused
        assert pings == []  # a live connection costs no round trip at checkout

        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
            deadline = time.monotonic() + 10
            while connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                     {"pid": first}).scalar_one() and time.monotonic() < deadline:
                time.sleep(0.05)
        time.sleep(0.2)  # the server's goodbye reaches the pooled connection's socket

        second = _backend_pid(engine)  # would raise OperationalError had the dead connection been handed out
        assert second != first
        assert len(pings) == 1  # the readable socket was pinged; the ping failed and the connection was replaced
        assert _backend_pid(engine) == second
        assert len(pings) == 1
    finally:
        admin.dispose()
        engine.dispose()
