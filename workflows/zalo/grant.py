"""The OA grant (issue 18 part 1): an administrator starts Zalo's permission flow, Zalo sends the OA admin's
browser back to our callback, which checks `state`, exchanges the code with its PKCE verifier and stores the
pair (ZALO_API.md §3.2–§3.4). Also the connection as administrators and operators see it.

A started grant is a `zalo_grant_request` row: the SHA-256 of `state` (the state itself is only in the URL)
and the verifier, encrypted. It expires after `ttl` and is used once, whatever the exchange's outcome (Zalo's
authorization code is single use too).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily
from pydantic import BaseModel
from sqlmodel import Session, col, select, update

from connectors.timeutil import utc
from connectors.zalo.client import ZaloClient, make_pkce_pair
from connectors.zalo.connection import STATES, ConnectionState, ZaloGrantRequest
from connectors.zalo.errors import ZaloError
from connectors.zalo.tokens import DbTokenStore
from workflows import audit
from workflows.core.errors import BadRequest, ValidationFailed

log = logging.getLogger(__name__)

STATE_UNKNOWN = ("Yêu cầu cấp quyền không hợp lệ (tham số state không do hệ thống tạo). Quản trị viên hãy bắt "
                 "đầu lại việc cấp quyền cho Zalo OA.")
STATE_EXPIRED = ("Yêu cầu cấp quyền đã hết hạn. Quản trị viên hãy bắt đầu lại việc cấp quyền cho Zalo OA.")
STATE_USED = ("Yêu cầu cấp quyền này đã được sử dụng. Quản trị viên hãy bắt đầu lại việc cấp quyền cho "
              "Zalo OA nếu cần.")


class TextCipher(Protocol):
    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


class ZaloGrantOut(BaseModel):
    authorization_url: str
    expires_at: datetime
    redirect_uri: str


class ZaloConnectionOut(BaseModel):
    state: str
    access_expires_at: datetime | None
    last_refresh_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    granted_at: datetime | None
    refresh_failures: int
    next_refresh_at: datetime | None
    can_send: bool


@dataclass(frozen=True)
class GrantOutcome:
    """What the callback did: `ok`, or Zalo's refusal of the code (`error`, no token in it)."""

    ok: bool
    error: str | None = None


def begin_grant(session: Session, *, client: ZaloClient, cipher: TextCipher, redirect_uri: str, actor: str,
                now: datetime, ttl: timedelta) -> ZaloGrantOut:
    """Start a grant in the caller's transaction: a PKCE pair (S256) and a random `state`, remembered for
    `ttl`; the authorization URL for the OA administrator (§3.2). Audited."""
    verifier, challenge = make_pkce_pair()
    state = secrets.token_urlsafe(32)
    expires_at = utc(now) + ttl
    session.add(ZaloGrantRequest(state_hash=_hash(state), code_verifier=cipher.encrypt(verifier), actor=actor,
                                 created_at=utc(now), expires_at=expires_at))
    audit.record(session, actor=actor, action="zalo.grant_started", at=now,
                 data={"expires_at": expires_at.isoformat(), "redirect_uri": redirect_uri})
    url = client.authorization_url(redirect_uri=redirect_uri, code_challenge=challenge, state=state)
    return ZaloGrantOut(authorization_url=url, expires_at=expires_at, redirect_uri=redirect_uri)


def complete_grant(session: Session, *, client: ZaloClient, tokens: DbTokenStore, cipher: TextCipher,
                   code: str | None, state: str | None, now: datetime) -> GrantOutcome:
    """Zalo's redirect: check `state` (unknown, expired or used → 400, nothing stored), exchange `code` with
    the grant's verifier, and in the caller's transaction store the pair, set the connection `granted`,
    mark the grant used and audit. A refused code is an outcome, not an error: the grant is used up all the
    same. The grant row is locked while Zalo answers, so a replay racing this one waits, then finds it
    used."""
    missing = [{"field": name, "message": message} for name, value, message in (
        ("state", state, "Tham số state (mã yêu cầu cấp quyền): bắt buộc."),
        ("code", code, "Tham số code (mã cấp quyền của Zalo): bắt buộc."),
    ) if not value]
    if missing:
        raise ValidationFailed("Đường dẫn trả về từ Zalo thiếu tham số.", code="grant_callback_invalid",
                               errors=missing)
    assert state is not None and code is not None
    request = session.exec(select(ZaloGrantRequest).where(ZaloGrantRequest.state_hash == _hash(state))
                           .with_for_update()).first()
    if request is None:
        raise BadRequest(STATE_UNKNOWN, code="grant_state_unknown")
    if request.used_at is not None:
        raise BadRequest(STATE_USED, code="grant_state_used")
    if utc(request.expires_at) <= utc(now):
        raise BadRequest(STATE_EXPIRED, code="grant_state_expired")
    outcome = GrantOutcome(ok=True)
    try:
        pair = client.pair_for_code(code, code_verifier=cipher.decrypt(request.code_verifier))
    except ZaloError as exc:
        log.error("zalo.grant_failed error=%s", exc)
        outcome = GrantOutcome(ok=False, error=str(exc)[:500])
    else:
        tokens.save_in(session.connection(), pair, now=now)
    session.exec(update(ZaloGrantRequest)  # type: ignore[call-overload]
                 .where(col(ZaloGrantRequest.id) == request.id).values(used_at=utc(now)))
    audit.record(session, actor=request.actor, action="zalo.granted" if outcome.ok else "zalo.grant_failed",
                 at=now, data={"grant_request": request.id, **({"error": outcome.error} if outcome.error else {})})
    if outcome.ok:
        log.info("zalo.granted by=%s: the OA connection is granted; waiting messages resume", request.actor)
    return outcome


def connection_out(state: ConnectionState, *, now: datetime) -> ZaloConnectionOut:
    """The connection as stored (never a token): `tokens.connection_state()`, or `read_state` in a
    request's transaction."""
    return ZaloConnectionOut(
        state=state.state, access_expires_at=state.access_expires_at, last_refresh_at=state.last_refresh_at,
        last_error=state.last_error, last_error_at=state.last_error_at, granted_at=state.granted_at,
        refresh_failures=state.refresh_failures, next_refresh_at=state.next_refresh_at,
        can_send=state.can_send(now))


class ConnectionCollector:
    """`motcua_zalo_connection{state}`: 1 for the current state, 0 for the others, read at each scrape;
    alert on `motcua_zalo_connection{state="refresh_failed"} == 1` (an administrator must grant again)."""

    def __init__(self, tokens: DbTokenStore) -> None:
        self._tokens = tokens

    def collect(self) -> Iterator[GaugeMetricFamily]:
        current: ConnectionState = self._tokens.connection_state()
        family = GaugeMetricFamily("motcua_zalo_connection", "Zalo OA connection state (1 = current)",
                                   labels=["state"])
        for state in STATES:
            family.add_metric([state], 1.0 if state == current.state else 0.0)
        yield family
        failures = GaugeMetricFamily("motcua_zalo_refresh_failures",
                                     "Token refreshes failed in a row (reset by a success or a grant)")
        failures.add_metric([], float(current.refresh_failures))
        yield failures

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no scrape at registration time (the database may not be ready)


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()
