"""The OA connection: whether the app may act for the Official Account now, and why not.

States (one row of `zalo_connection`, written in the same transaction as the token pair it describes):

- `not_granted`: no OA administrator granted the app yet (or the grant was never completed);
- `granted`: a token pair is stored and the last refresh (if any) succeeded;
- `refresh_failed`: Zalo refused the refresh token. Refresh tokens are single use (ZALO_API.md §3.5) and a
  refused one is dead (§3.6: do not retry it blindly, alert a human), so no further refresh is attempted and
  nothing is sent until an administrator grants the app again.

A refresh that failed without an answer (transport error, 5xx) may or may not have consumed the refresh
token: the state stays `granted`, and the next refresh waits out a doubling delay (`next_refresh_at`), so a
dead Zalo is not hammered. The next try tells: a new pair, or a refusal (then `refresh_failed`).

`last_error` holds Zalo's error code and name, never a token.

Pending grants (`zalo_grant_request`) hold the PKCE verifier (encrypted) and a hash of the `state` sent to
Zalo; each expires and is used once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from connectors.timeutil import utc

GRANTED, NOT_GRANTED, REFRESH_FAILED = "granted", "not_granted", "refresh_failed"
STATES = (GRANTED, NOT_GRANTED, REFRESH_FAILED)
_ROW_ID = 1


class ZaloConnection(SQLModel, table=True):
    """The single row describing the OA connection."""

    __tablename__ = "zalo_connection"

    id: int = Field(default=_ROW_ID, primary_key=True)
    state: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    access_expires_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    granted_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    last_refresh_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    last_error_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    refresh_failures: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False,
                                                                 server_default="0"))
    next_refresh_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    updated_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class ZaloGrantRequest(SQLModel, table=True):
    """One authorization request sent to Zalo, waiting for its callback."""

    __tablename__ = "zalo_grant_request"

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    code_verifier: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # encrypted
    actor: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


@dataclass(frozen=True)
class ConnectionState:
    state: str
    access_expires_at: datetime | None = None
    granted_at: datetime | None = None
    last_refresh_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    refresh_failures: int = 0
    next_refresh_at: datetime | None = None

    def may_refresh(self, now: datetime) -> str | None:
        """None when a refresh may be tried now; otherwise why not."""
        if self.state == REFRESH_FAILED:
            return "Zalo refused the refresh token: an OA administrator must grant the app again"
        if self.next_refresh_at is not None and utc(now) < self.next_refresh_at:
            return f"the last token refresh failed; the next try is at {self.next_refresh_at.isoformat()}"
        return None

    def can_send(self, now: datetime) -> bool:
        """Whether messages may go now: granted, and not waiting out a refresh backoff with an expired
        access token (that send would only fail for want of a token)."""
        if self.state != GRANTED:
            return False
        expired = self.access_expires_at is not None and self.access_expires_at <= utc(now)
        return not (expired and self.may_refresh(now) is not None)


@dataclass(frozen=True)
class RefreshBackoff:
    """Delay before the next refresh after `failures` failures without an answer: base·2^(n-1), capped."""

    base: timedelta = timedelta(seconds=60)
    cap: timedelta = timedelta(hours=1)

    def after(self, failures: int) -> timedelta:
        return min(self.cap, self.base * 2 ** max(0, failures - 1))


def read_state(connection: Connection) -> ConnectionState:
    """The connection as stored. Without a row (a database from before the row existed): `granted` when a
    token pair is stored, else `not_granted`."""
    table = ZaloConnection.__table__
    row = connection.execute(sa.select(table).where(table.c.id == _ROW_ID)).first()
    if row is None:
        tokens = sa.table("zalo_token", sa.column("id"), sa.column("access_expires_at"))
        pair = connection.execute(sa.select(tokens.c.access_expires_at).limit(1)).first()
        if pair is None:
            return ConnectionState(NOT_GRANTED)
        return ConnectionState(GRANTED, access_expires_at=utc(pair[0]))
    return ConnectionState(
        state=row.state, access_expires_at=_aware(row.access_expires_at), granted_at=_aware(row.granted_at),
        last_refresh_at=_aware(row.last_refresh_at), last_error=row.last_error,
        last_error_at=_aware(row.last_error_at), refresh_failures=int(row.refresh_failures or 0),
        next_refresh_at=_aware(row.next_refresh_at))


def mark_granted(connection: Connection, *, access_expires_at: datetime, now: datetime) -> None:
    """A pair obtained from an authorization code was stored: `granted`, past failures forgotten."""
    _write(connection, now=now, state=GRANTED, access_expires_at=utc(access_expires_at), granted_at=utc(now),
           last_error=None, last_error_at=None, refresh_failures=0, next_refresh_at=None)


def mark_refreshed(connection: Connection, *, access_expires_at: datetime, now: datetime) -> None:
    """A rotation was stored."""
    _write(connection, now=now, state=GRANTED, access_expires_at=utc(access_expires_at),
           last_refresh_at=utc(now), refresh_failures=0, next_refresh_at=None)


def mark_refresh_failed(connection: Connection, *, error: str, refused: bool, now: datetime,
                        backoff: RefreshBackoff) -> ConnectionState:
    """Record a failed refresh: refused → `refresh_failed` (no retry until a grant); otherwise the state is
    kept and the next refresh waits `backoff`. Returns the new state."""
    current = read_state(connection)
    failures = current.refresh_failures + 1
    values: dict[str, object] = {"last_error": error[:500], "last_error_at": utc(now),
                                 "refresh_failures": failures}
    if refused:
        values.update(state=REFRESH_FAILED, next_refresh_at=None)
    else:
        values.update(state=current.state, next_refresh_at=utc(now) + backoff.after(failures))
    _write(connection, now=now, **values)
    return read_state(connection)


def _write(connection: Connection, *, now: datetime, **values: object) -> None:
    table = ZaloConnection.__table__
    values["updated_at"] = utc(now)
    updated = connection.execute(table.update().where(table.c.id == _ROW_ID).values(**values))
    if not updated.rowcount:
        values.setdefault("state", NOT_GRANTED)
        connection.execute(table.insert().values(id=_ROW_ID, **values))


def _aware(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None
