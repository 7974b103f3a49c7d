"""Per-client rate limits of the public endpoints, kept in the database so that every API process shares
them (a sliding-window counter: this window's hits plus the previous window's, weighted by how much of
it still overlaps the sliding window).

Clients are keyed by a keyed hash of their address (the raw IP address is never stored) and the kind
of request. Hits are written in their own short transaction, so a request that then fails (a wrong
verifier answered 404) still counts — that is the point of limiting lookups. Refused requests do not
count, so `Retry-After` stays true however often a client knocks.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from workflows.core.clock import ensure_utc
from workflows.core.db import increment, session_scope
from workflows.core.errors import RateLimited
from workflows.core.models import RateLimitHit

_TABLE = RateLimitHit.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `seconds` per client key."""

    count: int
    seconds: int


# Lookups: 10 a minute per client and kind is plenty for a person, far too few to guess 4-digit
# verifiers; guesses on one dossier or ID number from anywhere spend its shared budget (budget.py).
LOOKUP = Limit(10, 60)
FEEDBACK = Limit(5, 600)


def client_key(*, secret: str, client: str) -> str:
    """A stable, keyed pseudonym of the client address (HMAC-SHA256, 24 hex digits)."""
    return hmac.new(secret.encode(), f"client:{client}".encode(), hashlib.sha256).hexdigest()[:24]


def _window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def retry_after(*, counted: int, previous: int, elapsed: float, limit: Limit) -> int:
    """Seconds until one more request fits: `counted` hits in this window (the refused one not among
    them), `previous` in the one before, `elapsed` seconds into this one. At least 1."""
    window = limit.seconds
    if counted + 1 <= limit.count and previous > 0:
        # counted + 1 + previous * (1 - t / window) <= count
        #   ⇔  t >= window * (1 - (count - counted - 1) / previous)
        at = window * (1 - (limit.count - counted - 1) / previous)
        if at < window:
            return max(1, math.ceil(at - elapsed) + 1)
    # In the next window: 1 + counted * (1 - t / window) <= count.
    at = window * max(0.0, 1 - (limit.count - 1) / counted) if counted else 0.0
    return max(1, math.ceil(window - elapsed + at) + 1)


def hit(db: Engine, *, key: str, limit: Limit, now: datetime) -> None:
    """Count one request of `key` in its own transaction; TooManyRequests (429) past the limit.

    Call it before the request's own session begins: on SQLite a second writer would wait for it."""
    with session_scope(db) as session:
        wait = count(session, key=key, limit=limit, now=now)
    if wait is not None:
        raise TooManyRequests(
            f"Bạn đã gửi quá nhiều yêu cầu; vui lòng thử lại sau {wait} giây.", retry_after=wait
        )


def count(session: Session, *, key: str, limit: Limit, now: datetime) -> int | None:
    """Count one request of `key` in the caller's transaction; the seconds to wait when over the limit,
    else None. For callers that answer a refusal instead of raising (the Zalo keywords)."""
    now = ensure_utc(now)
    start = _window_start(now, limit.seconds)
    current = increment(session, _TABLE, key={"key": key, "window_start": start}, counter="count")
    previous = (
        session.exec(
            select(RateLimitHit.count).where(
                RateLimitHit.key == key, RateLimitHit.window_start == start - timedelta(seconds=limit.seconds)
            )
        ).first()
        or 0
    )
    elapsed = (now - start).total_seconds()
    if current + previous * (1 - elapsed / limit.seconds) <= limit.count:
        return None
    # A refused request is not counted: whoever waits as told gets in, however often they were refused.
    session.execute(
        _TABLE.update()
        .where(_TABLE.c.key == key, _TABLE.c.window_start == start)
        .values(count=_TABLE.c.count - 1)
    )
    return retry_after(counted=current - 1, previous=previous, elapsed=elapsed, limit=limit)


def uncount(session: Session, *, key: str, limit: Limit, now: datetime) -> None:
    """Take back one request of `key` in the current window (never below zero), in the caller's
    transaction: for budgets that count failures only, reserved before the check and given back after it."""
    start = _window_start(ensure_utc(now), limit.seconds)
    session.execute(
        _TABLE.update()
        .where(_TABLE.c.key == key, _TABLE.c.window_start == start, _TABLE.c.count > 0)
        .values(count=_TABLE.c.count - 1)
    )


def prune(session: Session, *, before: datetime) -> int:
    """Drop windows that ended before `before` (a daily job may call this). Flushes only."""
    result = session.exec(delete(RateLimitHit).where(col(RateLimitHit.window_start) < before))  # type: ignore[call-overload]
    return int(result.rowcount or 0)


class TooManyRequests(RateLimited):
    """RateLimited with the number of seconds to wait, for the `Retry-After` header."""

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after
