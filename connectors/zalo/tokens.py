"""OA credentials: the access/refresh token pair, persisted so a rotation is never lost.

Zalo's OAuth v4 refresh tokens are single-use (ZALO_API.md §3.5): every refresh consumes the stored refresh
token and returns a new pair. So a refresh must (1) run once at a time across threads and processes,
(2) commit the new pair before anyone uses the new access token. Losing it means an OA admin must grant
the app again.

The pair is one row of table `zalo_token`, encrypted with the data key when the store has a cipher (the
wiring always gives it one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from connectors.timeutil import utc

_ROW_ID = 1


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

    def __init__(self, engine: Engine, *, cipher: TextCipher | None = None) -> None:
        self._engine = engine
        self._cipher = cipher
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
            table = ZaloToken.__table__
            values = self._values(pair, now=now)
            updated = connection.execute(table.update().where(table.c.id == _ROW_ID).values(**values))
            if not updated.rowcount:
                connection.execute(table.insert().values(id=_ROW_ID, **values))
        self._cached = pair

    def refresh(self, *, stale_access_token: str | None, exchange: Callable[[str], TokenPair],
                now: datetime) -> TokenPair:
        table = ZaloToken.__table__
        with self._lock:
            with self._engine.begin() as connection:
                if connection.dialect.name == "sqlite":
                    # Take SQLite's write lock now (a no-op write), so a second process waits here.
                    connection.execute(table.update().where(table.c.id == _ROW_ID)
                                       .values(updated_at=table.c.updated_at))
                locked = sa.select(table).where(table.c.id == _ROW_ID).with_for_update()
                row = connection.execute(locked).first()
                if row is None:
                    raise LookupError("no Zalo token stored: an OA admin must grant the app first")
                stored = self._pair(row)
                if stale_access_token is not None and stored.access_token != stale_access_token:
                    self._cached = stored  # another thread or process rotated already
                    return stored
                fresh = exchange(stored.refresh_token)
                values = self._values(fresh, now=now)
                connection.execute(table.update().where(table.c.id == _ROW_ID).values(**values))
            # Committed: only now may the new access token be handed out.
            self._cached = fresh
            return fresh

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
