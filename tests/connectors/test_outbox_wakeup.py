"""Waking the relays of other processes (`connectors.outbox.wakeup`): on PostgreSQL an enqueuing commit
announces its channel and a `WakeListener` (another connection, as another process holds) wakes that
channel's relay; a rollback announces nothing. SQLite has one process and announces nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.outbox import enqueue
from connectors.outbox.wakeup import WakeListener

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _enqueue(session: Session, key: str, channel: str) -> None:
    enqueue(session, idempotency_key=key, kind="dossier_event", subject_ref="H01.1-261207-0001",
            recipient_ref="applicant:1", payload={"trang_thai": "Được tiếp nhận"}, now=NOW, channel=channel)


def _statements(db: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(db, "before_cursor_execute", lambda _c, _cur, statement, *_: seen.append(statement))
    return seen


def test_a_commit_wakes_the_relay_of_its_channel_and_a_rollback_wakes_none(db: Engine) -> None:
    seen = _statements(db)
    if db.dialect.name == "sqlite":  # one process: its own relay is woken directly, nothing is announced
        with Session(db) as session:
            _enqueue(session, "k-sqlite", "zalo")
            session.commit()
        assert not [s for s in seen if "pg_notify" in s]
        return
    woken = {"zalo": threading.Event(), "dvcqg": threading.Event()}
    listener = WakeListener(db=db, wake={name: flag.set for name, flag in woken.items()}, poll_seconds=0.1)
    listener.start()
    try:
        assert listener.listening.wait(10)
        for flag in woken.values():  # set once at connection: what was announced while nobody listened
            assert flag.wait(5)
            flag.clear()

        with Session(db) as session:
            _enqueue(session, "k-rolled-back", "zalo")
            session.rollback()
            session.commit()  # a later commit of the same session does not announce the rolled-back rows
        assert not woken["zalo"].wait(1.0)

        with Session(db) as session:
            _enqueue(session, "k-1", "dvcqg")
            _enqueue(session, "k-2", "dvcqg")
            assert not woken["dvcqg"].wait(0.5)  # nothing before the commit
            session.commit()
            assert woken["dvcqg"].wait(5)
            assert not woken["zalo"].is_set()
            woken["dvcqg"].clear()

            # A row enqueued inside a savepoint that is rolled back (a service task that failed) is not
            # announced; the transaction's other rows are.
            with session.begin_nested() as savepoint:
                _enqueue(session, "k-3-rolled-back", "zalo")
                savepoint.rollback()
            _enqueue(session, "k-4", "dvcqg")
            session.commit()
            assert woken["dvcqg"].wait(5)
            assert not woken["zalo"].wait(1.0)
            woken["dvcqg"].clear()

            # The session's next transaction announces again, a savepoint's row at the outermost commit.
            with session.begin_nested():
                _enqueue(session, "k-5", "zalo")
            assert not woken["zalo"].wait(0.5)
            session.commit()
        assert woken["zalo"].wait(5)
        # The announcement rides on the enqueue's INSERT: no statement of its own before the commit.
        assert not [s for s in seen if s.lstrip().upper().startswith("SELECT PG_NOTIFY")]
    finally:
        listener.stop()
