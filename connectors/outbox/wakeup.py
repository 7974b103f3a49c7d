"""Waking the relays of other processes on PostgreSQL: NOTIFY at the enqueuing commit, LISTEN where they run.

A relay in the process that committed is woken directly (`Wiring.notify_relay`). One in another process —
`motcua worker`, or the jobs' process of `motcua serve` — would otherwise find the row only at its next poll
(`scheduler.outbox_interval_seconds`, 0.5 s): a delay on every message, and with several processes the
whole of target 3's second (issue 22). So on PostgreSQL a transaction that enqueued (or requeued) rows also
runs `pg_notify('motcua_outbox', <channel>)`: an enqueue inside its INSERT (`connectors.outbox.service`),
a requeue just before the commit (`announce_at_commit`). PostgreSQL delivers it at the commit, once per
channel and transaction, and never for a rollback or a rolled-back savepoint. `WakeListener` holds one
connection with `LISTEN motcua_outbox` in each process that runs relays and wakes the relay of the channel
named.

A lost notification (the listener reconnecting, a notification PostgreSQL drops) costs one poll interval,
never a message: the relays still poll. SQLite has one process, so nothing is announced there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger(__name__)

CHANNEL = "motcua_outbox"
_ANNOUNCE = "outbox.announce"  # session.info: the relay channels this transaction will announce at commit
_LISTENING = "outbox.announce.listening"  # session.info: the session's commit and rollback are listened to
_NOTIFY = text("SELECT pg_notify(:name, c) FROM unnest(CAST(:channels AS text[])) AS c")  # one round trip


def announce_at_commit(session: Session, channel: str) -> None:
    """Have this session's next commit wake the relays of `channel` in every process (PostgreSQL; nothing
    on SQLite). One `pg_notify` per channel per transaction, run just before the outermost commit (not at a
    savepoint's release: the service tasks enqueue inside savepoints), all channels in one statement; a
    rollback drops it with the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if not session.info.get(_LISTENING):
        # Listeners for the session's life, not `once=True`: SQLAlchemy keeps a spent once-listener
        # registered, and the same function listened again is not added twice, so a session's second
        # transaction would never announce.
        event.listen(session, "before_commit", _announce)
        event.listen(session, "after_rollback", _forget)
        session.info[_LISTENING] = True
    session.info.setdefault(_ANNOUNCE, set()).add(channel)


def _announce(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the outermost commit announces
    channels = sorted(session.info.pop(_ANNOUNCE, ()))
    if channels:
        session.execute(_NOTIFY, {"name": CHANNEL, "channels": channels})


def _forget(session: Session) -> None:
    # The rows went with the transaction: a later commit of this session must not announce them.
    session.info.pop(_ANNOUNCE, None)


class WakeListener:
    """A daemon thread that listens on `CHANNEL` and calls `wake[channel]()` for each notification (every
    waker for an unknown payload, and after each (re)connection: something may have been announced while
    nobody listened). A lost connection is retried after `retry_seconds`; the relays' polls cover the gap."""

    def __init__(self, *, db: Engine, wake: Mapping[str, Callable[[], None]], retry_seconds: float = 5.0,
                 poll_seconds: float = 1.0) -> None:
        self._db = db
        self._wake = dict(wake)
        self._retry = retry_seconds
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while a connection listens (tests wait on it)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-wakeup", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _wake_all(self) -> None:
        for wake in self._wake.values():
            wake()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # noqa: BLE001 - the database went away: listen again later
                log.warning("outbox.wakeup_lost error=%s retry_in=%.0fs", type(exc).__name__, self._retry)
            self.listening.clear()
            self._stop.wait(self._retry)

    def _listen(self) -> None:
        with self._db.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            try:
                raw = connection.connection.driver_connection
                raw.execute(f"LISTEN {CHANNEL}")  # type: ignore[union-attr]
                self.listening.set()
                self._wake_all()
                while not self._stop.is_set():
                    for notice in raw.notifies(timeout=self._poll):  # type: ignore[union-attr]
                        self._wake.get(notice.payload, self._wake_all)()
            finally:
                # Never hand a listening connection back to the pool: its next user would collect our
                # notifications.
                connection.invalidate()
