"""Database engine, the session scope that owns a transaction (for jobs and the CLI), and the upserts
written once for both backends."""

from __future__ import annotations

import select
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, event
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlmodel import Session, create_engine

from workflows.core.config import DatabaseSettings

T = TypeVar("T")


def make_db_engine(settings: DatabaseSettings) -> Engine:
    url = make_url(settings.url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            settings.url, echo=settings.echo,
            connect_args={"check_same_thread": False, "timeout": settings.sqlite_lock_wait_seconds}
        )
        # Every table's DateTime(timezone=True) reads back aware UTC, as on PostgreSQL.
        engine.dialect.colspecs = {**engine.dialect.colspecs, sqltypes.DateTime: UtcSqliteDateTime}
        event.listen(engine, "connect", _sqlite_pragmas)
        WriterGate(timeout=settings.sqlite_lock_wait_seconds).attach(engine)
        return engine
    engine = create_engine(
        settings.url, echo=settings.echo, pool_size=settings.pool_size, max_overflow=settings.pool_size,
    )
    event.listen(engine, "checkout", _ping_when_the_server_spoke(engine))
    return engine


def _ping_when_the_server_spoke(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """A pool checkout listener (PostgreSQL): a pooled connection whose socket has something to read is pinged,
    and replaced if the ping fails; any other is handed out as it is. An idle connection in the pool is never
    spoken to by a live server (none of them LISTENs: `connectors.outbox.wakeup` keeps its own), so a readable
    socket means the server closed it: a restart, a terminated backend, an idle timeout. SQLAlchemy's
    `pool_pre_ping` sent `SELECT 1` on every checkout instead: a round trip for each request and each relay
    transaction (docs/PERFORMANCE.md). A connection lost without a word (a cable cut, a firewall dropping
    it) is not seen here. The ping would have waited for TCP to give up, as the statement now does, and then
    reconnected; now that one statement fails, the caller's transaction is rolled back (a request gets an
    error once), and SQLAlchemy replaces every older connection of the pool."""
    def check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed:
            raise DisconnectionError("the connection was closed")
        poller = select.poll()  # not select.select: a server may hold more than 1,024 descriptors
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        if not poller.poll(0):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises, this connection is gone
            raise DisconnectionError(f"the server closed the connection: {exc}") from exc

    return check


class UtcSqliteDateTime(SQLITE_DATETIME):
    """SQLite keeps no offset: store aware values as UTC and give them back aware (timezone=True columns)."""

    def bind_processor(self, dialect: Any) -> Any:
        inner = super().bind_processor(dialect)

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return inner(value) if inner else value

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        inner = super().result_processor(dialect, coltype)
        aware = bool(self.timezone)

        def process(value: Any) -> Any:
            value = inner(value) if inner else value
            if aware and isinstance(value, datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return value

        return process


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy, not pysqlite, issue BEGIN so every transaction starts the same way.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


WRITER_PRIORITY = "motcua_writer_priority"  # execution option: this engine's transactions go first at the gate


class WriterGate:
    """Turns at SQLite's single write lock for the threads of one process: first come, first served, and the
    background jobs that deliver to citizens ahead of requests.

    Every transaction starts with `BEGIN IMMEDIATE` (taking the write lock at BEGIN turns a read-then-write
    race into a wait instead of a "database is locked" failure in the middle of a transaction). SQLite's own
    wait for that lock is a busy handler that sleeps and polls, its sleeps growing: under eight officials
    completing steps, a thread that had waited long (the outbox relay, the timer job) kept losing to fresh
    requests, and citizens heard of their dossier a minute late (issue 22). Here a transaction queues for
    its turn before its BEGIN, and a transaction of an engine made with
    `engine.execution_options(motcua_writer_priority=True)` (the relays) queues ahead of the others: a relay
    transaction is short and each one a citizen waits for, while a request waits a few ms more. Other
    processes on the same file (the CLI) still meet the busy handler.

    Turns belong to connections, not threads (a request's session may be used from several pool threads).
    """

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._turn = threading.Condition()
        self._queues: tuple[deque[object], deque[object]] = (deque(), deque())  # (priority, others)
        self._holder: Any = None  # the DBAPI connection whose transaction holds the turn

    def attach(self, engine: Engine) -> None:
        """Take a turn at each BEGIN; give it back once COMMIT or ROLLBACK has run (not before: the next
        BEGIN IMMEDIATE would meet the lock still held and fall back to the busy handler's sleeps)."""
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self._release(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self._release(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]
        event.listen(engine, "begin", self.begin)
        for name in ("checkin", "invalidate", "close", "detach"):
            event.listen(engine.pool, name, self.dropped)

    def begin(self, connection: Any) -> None:
        dbapi = connection.connection.dbapi_connection
        queue = self._queues[0 if connection.get_execution_options().get(WRITER_PRIORITY) else 1]
        me = object()
        with self._turn:
            queue.append(me)

            def my_turn() -> bool:
                first = self._queues[0] or self._queues[1]
                return self._holder is None and first[0] is me

            if not self._turn.wait_for(my_turn, timeout=self._timeout):
                queue.remove(me)
                self._turn.notify_all()  # the head of the line may have changed
                raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError(
                    f"database is locked (no turn at the writer gate in {self._timeout:.0f} s)"))
            queue.popleft()
            self._holder = dbapi
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release(dbapi)
            raise

    def dropped(self, dbapi_connection: Any, *_: Any) -> None:
        # A connection given back to the pool, invalidated or closed holds no transaction: if its end was
        # never signalled, its turn must not block the others.
        self._release(dbapi_connection)

    def _release(self, connection: Any) -> None:
        dbapi = getattr(connection, "dbapi_connection", connection)  # a pool proxy or the sqlite3 connection
        with self._turn:
            if self._holder is dbapi and dbapi is not None:
                self._holder = None
                self._turn.notify_all()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def upsert(
    session: Session, table: Table, values: Mapping[str, Any], *, conflict: Sequence[str],
    set_: Mapping[str, Any] | None = None, returning: Any = None,
) -> Any:
    """INSERT `values` into `table`, or, when a row with the same `conflict` columns (a unique index) exists,
    UPDATE it with `set_` (nothing when `set_` is None); one atomic statement in the caller's transaction.

    Gives the `returning` column's value of the inserted or updated row (None when nothing was returned),
    or None without `returning`. PostgreSQL and SQLite spell ON CONFLICT alike but through their own
    dialect's `insert`, hence this switch.
    """
    insert = postgresql.insert if is_postgres(session.get_bind()) else sqlite.insert
    statement = insert(table).values(**values)
    if set_ is None:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    else:
        statement = statement.on_conflict_do_update(index_elements=list(conflict), set_=dict(set_))
    if returning is None:
        session.execute(statement)
        return None
    return session.execute(statement.returning(returning)).scalar_one_or_none()


def increment(session: Session, table: Table, *, key: Mapping[str, Any], counter: str) -> int:
    """Add one to `counter` of the row whose unique `key` columns hold `key`, creating the row at 1, and
    give the new value: concurrent callers each get their own number (sequences, hit counters)."""
    column = table.c[counter]
    value = upsert(session, table, {**key, counter: 1}, conflict=list(key), set_={counter: column + 1},
                   returning=column)
    return int(value)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def memo(session: Session, kind: str, key: Hashable, load: Callable[[], T | None]) -> T | None:
    """`load()` once per session for (kind, key); a None result is not remembered.

    For rows read several times in one transaction by something other than their primary key (a dossier
    by code in each service task of a step) or whose identity-map entry would otherwise be dropped (the
    identity map holds rows weakly, so a `session.get` of a row nobody kept goes back to the database).
    The memo keeps a strong reference; the row stays live in the session, expired and reloaded as usual.
    """
    cache: dict[tuple[str, Hashable], Any] = session.info.setdefault("motcua.memo", {})
    found = cache.get((kind, key))
    if found is None:
        found = load()
        if found is not None:
            cache[(kind, key)] = found
    return found  # type: ignore[no-any-return]
