"""Login throttling per account and per client: a few free failures, then a doubling wait, then a lock.

Each attempt is counted as a failure *before* its password is verified, in its own committed
transaction, and given back when the password was right: so thirty attempts sent at once are counted as
thirty, not as thirty times the first. An attempt made while its account or client is blocked is
refused (429 with `Retry-After`) without verifying anything, and is not counted, so the wait announced
stays true. State lives in the database (`login_throttle`), shared by every API process.

A lock of the account is lifted by an administrator (`unlock`) or by time; a client's by time only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from workflows import audit
from workflows.core.clock import ensure_utc
from workflows.core.config import LoginThrottleSettings
from workflows.core.db import session_scope, upsert
from workflows.core.errors import RateLimited
from workflows.core.ratelimit import client_key
from workflows.identity.models import LoginThrottle, Official
from workflows.identity.service import get_official

_TABLE = LoginThrottle.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Policy:
    """Failures up to `free` cost nothing; then each doubles the wait (2 s, 4 s, …); `lock` locks."""

    kind: str  # "account" or "client"
    free: int
    lock: int
    lock_seconds: int
    forget_seconds: int

    def wait_after(self, failures: int) -> int:
        if failures <= self.free:
            return 0
        if failures >= self.lock:
            return self.lock_seconds
        return min(2 ** (failures - self.free), self.lock_seconds)


def policies(settings: LoginThrottleSettings) -> tuple[Policy, Policy]:
    lock, forget = settings.lock_minutes * 60, settings.forget_after_minutes * 60
    return (Policy("account", settings.account_free_failures, settings.account_lock_failures, lock, forget),
            Policy("client", settings.client_free_failures, settings.client_lock_failures, lock, forget))


@dataclass(frozen=True)
class Counted:
    """One key's state right after this attempt was counted as a failure."""

    key: str
    policy: Policy
    failures: int
    blocked_until: datetime | None


@dataclass(frozen=True)
class Attempt:
    account: Counted
    client: Counted
    client_pseudonym: str


class LoginThrottled(RateLimited):
    """429 with the seconds to wait, for the `Retry-After` header."""

    def __init__(self, detail: str, *, code: str, retry_after: int) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after


def account_key(*, secret: str, username: str) -> str:
    return "account:" + client_key(secret=secret, client=f"login:{username.strip().lower()}")


def begin(db: Engine, *, username: str, client: str, settings: LoginThrottleSettings, secret: str,
          now: datetime) -> Attempt:
    """Count this login attempt as a failure of its account and of its client, in a transaction of its
    own; LoginThrottled (429) instead when either is blocked. `client` is the caller's pseudonym."""
    now = ensure_utc(now)
    account_policy, client_policy = policies(settings)
    keys = {account_key(secret=secret, username=username): account_policy, "client:" + client: client_policy}
    with session_scope(db) as session:
        rows = {key: _locked_row(session, key) for key in sorted(keys)}  # one order: no deadlock
        for key, row in rows.items():
            if row.blocked_until is not None and ensure_utc(row.blocked_until) > now:
                raise _refusal(keys[key], row, now)
        counted = {key: _count(row, keys[key], now) for key, row in rows.items()}
    account, client_state = (counted[key] for key in keys)
    return Attempt(account=account, client=client_state, client_pseudonym=client)


def _locked_row(session: Session, key: str) -> LoginThrottle:
    query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    upsert(session, _TABLE, {"key": key, "failures": 0}, conflict=["key"])  # the row, if it is not there yet
    row = session.exec(query).first()
    if row is None:  # `prune` deleted the forgotten row between the two statements: make it again
        upsert(session, _TABLE, {"key": key, "failures": 0}, conflict=["key"])
        row = session.exec(query).one()
    return row


def prune(session: Session, *, now: datetime, settings: LoginThrottleSettings) -> int:
    """Delete the rows that change nothing any more: no wait running, and no failure within the time after
    which failures are forgotten (such a row counts as no row: `_count` starts afresh). Flushes only."""
    forgotten = now - timedelta(minutes=settings.forget_after_minutes)
    result = session.execute(_TABLE.delete().where(
        (_TABLE.c.blocked_until.is_(None)) | (_TABLE.c.blocked_until <= now),
        (_TABLE.c.last_failure_at.is_(None)) | (_TABLE.c.last_failure_at < forgotten)))
    return int(result.rowcount or 0)


def _count(row: LoginThrottle, policy: Policy, now: datetime) -> Counted:
    if row.last_failure_at is not None and now - ensure_utc(row.last_failure_at) > timedelta(
            seconds=policy.forget_seconds):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = policy.wait_after(row.failures)
    row.blocked_until = now + timedelta(seconds=wait) if wait else None
    return Counted(key=row.key, policy=policy, failures=row.failures, blocked_until=row.blocked_until)


def _refusal(policy: Policy, row: LoginThrottle, now: datetime) -> LoginThrottled:
    assert row.blocked_until is not None
    seconds = max(1, math.ceil((ensure_utc(row.blocked_until) - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    if row.failures < policy.lock:
        return LoginThrottled(f"Đăng nhập sai nhiều lần; vui lòng chờ {seconds} giây rồi thử lại.",
                              code="login_delayed", retry_after=seconds)
    if policy.kind == "account":
        return LoginThrottled(
            f"Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần; vui lòng thử lại sau {minutes} phút "
            "hoặc liên hệ quản trị viên để mở khóa.", code="account_locked", retry_after=seconds)
    return LoginThrottled(
        f"Có quá nhiều lần đăng nhập sai từ địa chỉ này; vui lòng thử lại sau {minutes} phút.",
        code="client_locked", retry_after=seconds)


def failed(session: Session, *, attempt: Attempt, username: str, now: datetime) -> None:
    """The password was wrong (the failure is already counted): audit it, and a lock it brought about.
    Flushes; the caller commits although the request fails."""
    known = session.exec(select(Official.id).where(Official.username == username)).first() is not None
    actor = f"client:{attempt.client_pseudonym[:12]}"
    data = {"username": username if known else None, "client": attempt.client_pseudonym,
            "account_failures": attempt.account.failures, "client_failures": attempt.client.failures}
    audit.record(session, actor=actor, action="auth.login_failed", at=now, data=data)
    for counted in (attempt.account, attempt.client):
        if counted.failures >= counted.policy.lock:
            audit.record(session, actor=actor, action="auth.login_locked", at=now, data={
                **data, "scope": counted.policy.kind,
                "until": counted.blocked_until.isoformat() if counted.blocked_until else None})
    session.flush()


def succeeded(session: Session, *, attempt: Attempt) -> None:
    """The password was right: the account starts afresh; the client gets back the failure presumed
    (and the wait it set, unless another failure has set a new one since). Flushes."""
    session.execute(_TABLE.update().where(_TABLE.c.key == attempt.account.key)
                    .values(failures=0, blocked_until=None))
    client = _TABLE.update().where(_TABLE.c.key == attempt.client.key, _TABLE.c.failures > 0)
    session.execute(client.values(failures=_TABLE.c.failures - 1))
    if attempt.client.blocked_until is not None:
        session.execute(_TABLE.update().where(_TABLE.c.key == attempt.client.key,
                                              _TABLE.c.blocked_until == attempt.client.blocked_until)
                        .values(blocked_until=None))
    session.flush()


def unlock(session: Session, *, username: str, secret: str, actor: str, now: datetime) -> bool:
    """An administrator lifts the account's wait or lock; audited. Whether it was blocked (NotFound for an
    unknown username). Flushes."""
    get_official(session, username=username)
    key = account_key(secret=secret, username=username)
    row = session.get(LoginThrottle, key)
    was_blocked = row is not None and row.blocked_until is not None and ensure_utc(row.blocked_until) > now
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == key))  # type: ignore[call-overload]
    audit.record(session, actor=actor, action="auth.login_unlocked", at=now,
                 data={"username": username, "was_blocked": was_blocked,
                       "failures": row.failures if row is not None else 0})
    session.flush()
    return was_blocked
