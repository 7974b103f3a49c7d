"""OA credentials: the access/refresh token pair, persisted so a rotation is never lost.

Zalo's OAuth v4 refresh tokens are single-use (ZALO_API.md §3.5): every refresh consumes the stored refresh
token and returns a new pair. So a refresh must (1) run once at a time across threads and processes,
(2) commit the new pair before anyone uses the new access token. Losing it means an OA admin must grant
the app again.

The pair is one row of table `zalo_token`, encrypted with the data key when the store has a cipher (the
wiring always gives it one). Beside it, `zalo_connection` (connection.py) says whether the pair may be used
and why not; both are written in one transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, SQLModel

from connectors.timeutil import utc
from connectors.zalo.connection import (
    ConnectionState,
    RefreshBackoff,
    mark_granted,
    mark_refresh_failed,
    mark_refreshed,
    read_state,
)

log = logging.getLogger(__name__)

_ROW_ID = 1
OPEN_FOR = 1.0  # seconds a "the connection can send" answer is trusted


class NotConnected(LookupError):
    """No usable pair: never granted, or the refresh token was refused (an OA admin must grant again), or a
    refresh is waiting out its backoff."""


class RefreshRefused(Exception):  # noqa: N818 - a fact about Zalo's answer, not a failure of ours
    """Raised by an `exchange` when Zalo answered the refresh with a refusal (not a lost answer): the refresh
    token is dead."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


class ZaloToken(SQLModel, table=True):
    """The single row holding the OA's current token pair."""

    __tablename__ = "zalo_token"

    id: int = Field(default=_ROW_ID, primary_key=True)
    access_token: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    refresh_token: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    access_expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    refresh_expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class TokenStore(Protocol):
    def current(self) -> TokenPair | None:
        """The pair to use now, or None when the OA never granted the app."""
        ...

    def save(self, pair: TokenPair, *, now: datetime) -> None:
        """Store a pair obtained from an authorization code (first grant or re-consent)."""
        ...

    def refresh(self, *, stale_access_token: str | None, exchange: Callable[[str], TokenPair],
                now: datetime) -> TokenPair:
        """Single-flight rotation: if the stored access token is still `stale_access_token`, call
        `exchange(refresh_token)` and commit its result before returning it; otherwise someone else already
        refreshed and the stored pair is returned without a call."""
        ...


class TextCipher(Protocol):
    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


ENCRYPTED = "enc:"  # prefix of a token stored encrypted; a row written before encryption has none


class DbTokenStore:
    """TokenStore on the `zalo_token` table. One refresh at a time: a thread lock inside the process and a
    row lock across processes (SELECT ... FOR UPDATE on PostgreSQL, the database write lock on SQLite).

    With a `cipher` (the wiring gives the personal-data cipher) both tokens are stored encrypted: they let
    anyone write to every follower of the OA. A row stored in clear is still read, and encrypted at the next
    save or rotation."""

    def __init__(self, engine: Engine, *, cipher: TextCipher | None = None,
                 backoff: RefreshBackoff | None = None) -> None:
        self._engine = engine
        self._cipher = cipher
        self._backoff = backoff or RefreshBackoff()
        self._open_until = 0.0  # monotonic time until which `can_send` answers yes without asking
        self._lock = threading.Lock()
        self._cached: TokenPair | None = None

    def current(self) -> TokenPair | None:
        cached = self._cached
        if cached is not None:
            return cached
        with self._engine.connect() as connection:
            table = ZaloToken.__table__
            row = connection.execute(sa.select(table).where(table.c.id == _ROW_ID)).first()
        self._cached = self._pair(row) if row is not None else None
        return self._cached

    def save(self, pair: TokenPair, *, now: datetime) -> None:
        with self._lock, self._engine.begin() as connection:
            self.save_in(connection, pair, now=now)
        self._cached = pair

    def save_in(self, connection: Connection, pair: TokenPair, *, now: datetime) -> None:
        """Store a granted pair and set the connection `granted` in the caller's transaction (the callback's
        request); the in-memory copy is dropped, so the pair is read back once committed."""
        table = ZaloToken.__table__
        values = self._values(pair, now=now)
        # One upsert: two processes saving a grant at once (the development emulator's, which every server
        # process bootstraps) both succeed, the later pair stays; an UPDATE-then-INSERT let the second INSERT
        # fail on the primary key.
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(table).values(id=_ROW_ID, **values)
                           .on_conflict_do_update(index_elements=[table.c.id], set_=values))
        mark_granted(connection, access_expires_at=pair.access_expires_at, now=now)
        self._cached = None

    def refresh(self, *, stale_access_token: str | None, exchange: Callable[[str], TokenPair],
                now: datetime) -> TokenPair:
        table = ZaloToken.__table__
        failure: Exception | None = None
        with self._lock:
            with self._engine.begin() as connection:
                if connection.dialect.name == "sqlite":
                    # Take SQLite's write lock now (a no-op write), so a second process waits here.
                    connection.execute(table.update().where(table.c.id == _ROW_ID)
                                       .values(updated_at=table.c.updated_at))
                locked = sa.select(table).where(table.c.id == _ROW_ID).with_for_update()
                row = connection.execute(locked).first()
                if row is None:
                    raise NotConnected("no Zalo token stored: an OA admin must grant the app first")
                stored = self._pair(row)
                if stale_access_token is not None and stored.access_token != stale_access_token:
                    self._cached = stored  # another thread or process rotated already
                    return stored
                blocked = read_state(connection).may_refresh(now)
                if blocked is not None:
                    raise NotConnected(blocked)  # no call: a dead refresh token is not tried again
                try:
                    fresh = exchange(stored.refresh_token)
                except Exception as exc:  # noqa: BLE001 - recorded below, then raised again
                    failure = exc
                    # Recorded under the row lock, in the same transaction: recorded after it, another
                    # process could take the lock in between, find no failure and try the dead token again.
                    state = mark_refresh_failed(connection, error=str(exc), refused=isinstance(exc, RefreshRefused),
                                                now=now, backoff=self._backoff)
                else:
                    values = self._values(fresh, now=now)
                    connection.execute(table.update().where(table.c.id == _ROW_ID).values(**values))
                    mark_refreshed(connection, access_expires_at=fresh.access_expires_at, now=now)
            if failure is None:
                # Committed: only now may the new access token be handed out.
                self._cached = fresh
                return fresh
            self._open_until = 0.0
            self._log_failure(state, refused=isinstance(failure, RefreshRefused))
            raise failure

    @staticmethod
    def _log_failure(state: ConnectionState, *, refused: bool) -> None:
        if refused:
            log.error("zalo.refresh_failed state=refresh_failed error=%s: an OA administrator must grant the "
                      "app again (POST /api/v1/admin/zalo/grant or `motcua zalo-grant`)", state.last_error)
        else:
            log.warning("zalo.refresh_failed state=%s failures=%s next_try=%s error=%s", state.state,
                        state.refresh_failures, state.next_refresh_at, state.last_error)

    def connection_state(self) -> ConnectionState:
        """The connection as stored now (read from the database, never cached: another process may have
        refreshed or been granted)."""
        with self._engine.connect() as connection:
            return read_state(connection)

    def can_send(self, now: datetime) -> bool:
        """Whether messages may go now (see `ConnectionState.can_send`). Asked before every relay pass: a
        "yes" is trusted for `OPEN_FOR` seconds (a pass claims at once, as before the check existed), a "no"
        is asked again each time (a grant is seen at the next pass). This store forgets its "yes" as soon as
        it records a failure; another process's failure is seen within `OPEN_FOR`, and what the relay
        claims meanwhile is put back without spending an attempt."""
        if self._open_until > time.monotonic():
            return True
        open_now = self.connection_state().can_send(now)
        self._open_until = time.monotonic() + OPEN_FOR if open_now else 0.0
        return open_now

    def forget_cache(self) -> None:
        """Drop the in-memory copy (the next call re-reads the row)."""
        self._cached = None


    def _pair(self, row: sa.Row) -> TokenPair:
        return TokenPair(
            access_token=self._open(row.access_token),
            refresh_token=self._open(row.refresh_token),
            access_expires_at=utc(row.access_expires_at),
            refresh_expires_at=utc(row.refresh_expires_at),
        )

    def _values(self, pair: TokenPair, *, now: datetime) -> dict[str, object]:
        return {
            "access_token": self._seal(pair.access_token),
            "refresh_token": self._seal(pair.refresh_token),
            "access_expires_at": utc(pair.access_expires_at),
            "refresh_expires_at": utc(pair.refresh_expires_at),
            "updated_at": utc(now),
        }

    def _seal(self, token: str) -> str:
        return ENCRYPTED + self._cipher.encrypt(token) if self._cipher else token

    def _open(self, stored: str) -> str:
        if not stored.startswith(ENCRYPTED):
            return stored  # stored in clear (before encryption, or a store without a cipher)
        if self._cipher is None:
            raise LookupError("the Zalo tokens are stored encrypted, and this store has no cipher")
        return self._cipher.decrypt(stored[len(ENCRYPTED):])
