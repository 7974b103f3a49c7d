"""The relay: sends committed outbox rows, in order per subject, with backoff and a dead letter.

A run claims due rows that are the head of their subject (no earlier pending/sending row of the same
subject), marks them `sending` with a lease, commits, sends without holding a transaction, and records each
outcome in its own short transaction. PostgreSQL claims with FOR UPDATE SKIP LOCKED, so several relays
(processes) can run; SQLite serialises writers anyway. A row stuck in `sending` (a crash) is claimed again
when its lease ends.

A claim may start network calls only until `send_by` (the lease's end less `send_margin`, the longest a
call can take): a relay that waited for the database past that point sends nothing more, so a call of an
old claim never overlaps the next claim's, whose conversation check then sees everything that arrived.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, and_, col, exists, or_, select, update

from connectors.outbox.errors import (
    ChannelUnavailable,
    DeferredDelivery,
    LeaseRunOut,
    PermanentDelivery,
    RetryableDelivery,
    UnreachableRecipient,
)
from connectors.outbox.models import ACTIVE, DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage
from connectors.timeutil import utc

log = logging.getLogger(__name__)

UNKNOWN_OUTCOME = "may have taken effect"  # in the error of a send whose answer never came
WAITING = "waiting:"  # `last_error` of a message a sending rule holds back: "waiting:<rule>: <why>"

SUBJECT_BURST = 20  # messages of one subject sent in a row within a pass


@dataclass(frozen=True)
class Recipient:
    """Who to reach, resolved at send time from the row's opaque `recipient_ref`."""

    zalo_user_id: str | None
    phone_84: str | None
    display_name: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A claimed row, detached from the database."""

    id: int
    idempotency_key: str
    kind: str
    subject_ref: str
    recipient_ref: str
    payload: dict[str, Any]
    attempts: int
    parts_done: int
    # The previous attempt may have reached Zalo without us recording it (a lease taken over from a worker
    # that died, or a timeout after sending): the sender checks what arrived before sending again.
    uncertain: bool = False
    created_at: datetime | None = None
    send_by: datetime | None = None  # no network call of this claim may start later (None: no limit)
    lease_until: datetime | None = None  # the claim's fence: the row is ours while it still holds this value


def ensure_time_to_send(message: OutgoingMessage, now: datetime) -> None:
    """Raise `LeaseRunOut` when the claim's time to start a network call is over (call before each one)."""
    if message.send_by is not None and utc(now) > message.send_by:
        raise LeaseRunOut(f"claim of outbox message {message.id} may no longer send (send by {message.send_by})",
                          parts_done=None)


@dataclass(frozen=True)
class SendResult:
    channel_used: str
    provider_message_id: str | None
    # What did not go although the message did (an attachment Zalo refused); kept in `last_error`.
    note: str | None = None


class Sender(Protocol):
    def send(self, message: OutgoingMessage, recipient: Recipient) -> SendResult:
        """Deliver or raise a `connectors.outbox.errors.DeliveryError` subclass."""
        ...


@dataclass
class RelayStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    dead: int = 0
    released: int = 0
    deferred: int = 0  # held back by a channel's sending rule until a known time, attempts kept
    rate_limited: bool = False
    errors: list[str] = field(default_factory=list)


class OutboxRelay:
    def __init__(
        self, *, db_engine: Engine, sender: Sender, resolve_recipient: Callable[[str], Recipient | None],
        now: Callable[[], datetime], max_attempts: int = 8, base_delay: float = 5.0,
        max_delay: float = 3600.0, lease: timedelta = timedelta(minutes=5), interval: float = 0.5,
        batch_size: int = 50, concurrency: int = 4, channel: str = "zalo", rng: random.Random | None = None,
        send_margin: timedelta = timedelta(seconds=30), ready: Callable[[], bool] | None = None,
        dead_blocks: bool = False,
    ) -> None:
        """Delays in seconds: attempt n waits about base_delay·2^(n-1), capped at max_delay, with jitter.
        `concurrency`: messages sent at once in a pass (always one per subject). `send_margin`: the longest
        one network call of the sender can take; it must be shorter than the lease. `ready()`: whether the
        channel can send at all now (its credentials); while it says no, a pass claims nothing.
        `dead_blocks`: a dead message holds back the later messages of its subject until it is resent (a
        channel whose messages build on each other, like the DVCQG record and its progress entries)."""
        if send_margin >= lease:
            raise ValueError(f"send margin {send_margin} must be shorter than the lease {lease}")
        self._engine = db_engine
        self._sender = sender
        self._resolve = resolve_recipient
        self._now = now
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._lease = lease
        self._send_margin = send_margin
        self._interval = interval
        self._batch_size = batch_size
        self._concurrency = max(1, concurrency)
        self._channel = channel
        self._rng = rng or random.Random()
        self._ready = ready
        self._blocking = (*ACTIVE, DEAD) if dead_blocks else ACTIVE
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._claim_queries: dict[tuple[int, bool], Any] = {}

    # --- one pass -----------------------------------------------------------------------------------------

    def run_once(self, limit: int = 50) -> RelayStats:
        """Claim up to `limit` due subject heads and send them, `concurrency` subjects at a time. After a
        message of a subject is done, that subject's next due message follows in the same pass (up to
        `SUBJECT_BURST`), so one slow subject does not hold the others back. Returns what happened."""
        stats = RelayStats()
        if self._ready is not None and not self._ready():
            return stats  # messages wait for the channel, their attempts untouched
        heads = self._claim(limit)
        halt = threading.Event()  # set on Zalo's -32: messages not yet started wait for a later pass

        def work(message: OutgoingMessage) -> list[tuple[str, str | None, int]]:
            outcomes: list[tuple[str, str | None, int]] = []
            for burst in range(1, SUBJECT_BURST + 1):
                if halt.is_set():
                    self._hand_back(message, parts_done=None)
                    outcomes.append(("released", None, message.id))
                    break
                outcome, error, rate_limited = self._deliver(message)
                outcomes.append((outcome, error, message.id))
                if rate_limited:
                    halt.set()
                if outcome in ("retried", "released", "deferred") or burst == SUBJECT_BURST:
                    break
                following = self._claim(1, subject_ref=message.subject_ref)
                if not following:
                    break
                message = following[0]
            return outcomes

        if self._concurrency > 1 and len(heads) > 1:
            with ThreadPoolExecutor(self._concurrency, thread_name_prefix="outbox-send") as pool:
                per_subject = list(pool.map(work, heads))
        else:
            per_subject = [work(message) for message in heads]
        for outcomes in per_subject:
            for outcome, error, message_id in outcomes:
                stats.claimed += 1  # every entry is one claimed message (a head or the one after it)
                setattr(stats, outcome, getattr(stats, outcome) + 1)
                if error is not None:
                    stats.errors.append(f"{message_id}: {error}")
        stats.rate_limited = halt.is_set()
        return stats

    def _claim_query(self, limit: int, *, by_subject: bool) -> Any:
        """The claim's SELECT, built once per (limit, by subject) and run with `now` (and `subject_ref`)
        as parameters. Built afresh on every claim it cost more of the server's CPU than running it: the
        aliased entity of the NOT EXISTS makes new attribute proxies on every construction (py-spy under
        8 completing clients: a fifth of the server's GIL time was the relay building this query)."""
        key = (limit, by_subject)
        query = self._claim_queries.get(key)
        if query is not None:
            return query
        earlier = aliased(OutboxMessage)
        blocked = exists().where(
            earlier.subject_ref == OutboxMessage.subject_ref,
            col(earlier.status).in_(self._blocking),
            or_(earlier.sequence < OutboxMessage.sequence,
                and_(earlier.sequence == OutboxMessage.sequence, earlier.id < OutboxMessage.id)),
        )
        now = bindparam("now", type_=OutboxMessage.__table__.c.next_attempt_at.type)  # type: ignore[attr-defined]
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.channel == self._channel, col(OutboxMessage.status).in_(ACTIVE),
                   col(OutboxMessage.next_attempt_at) <= now, ~blocked)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
        )
        if by_subject:
            query = query.where(OutboxMessage.subject_ref == bindparam("subject_ref", type_=sa.String))
        if self._engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=OutboxMessage)
        self._claim_queries[key] = query
        return query

    def _claim(self, limit: int, *, subject_ref: str | None = None) -> list[OutgoingMessage]:
        query = self._claim_query(limit, by_subject=subject_ref is not None)
        params: dict[str, Any] = {"now": utc(self._now())}
        if subject_ref is not None:
            params["subject_ref"] = subject_ref
        with Session(self._engine, expire_on_commit=False) as session:
            rows = list(session.exec(query, params=params).all())
            # The lease starts once we hold the rows: on SQLite the claim may have waited long for the write
            # lock, and a lease counted from before that wait could run out under a send still in flight.
            lease_until = utc(self._now()) + self._lease
            claimed = []
            for row in rows:
                uncertain = row.status == SENDING or UNKNOWN_OUTCOME in (row.last_error or "")
                row.status = SENDING
                row.next_attempt_at = lease_until
                session.add(row)
                claimed.append(OutgoingMessage(
                    id=row.id or 0, idempotency_key=row.idempotency_key, kind=row.kind,
                    subject_ref=row.subject_ref, recipient_ref=row.recipient_ref,
                    payload=dict(row.payload or {}), attempts=row.attempts, parts_done=row.parts_done,
                    uncertain=uncertain, created_at=utc(row.created_at),
                    send_by=lease_until - self._send_margin, lease_until=lease_until))
            session.commit()
        return claimed

    def _deliver(self, message: OutgoingMessage) -> tuple[str, str | None, bool]:
        """Send one message and record the outcome: (stats field, error, rate limited)."""
        attempts = message.attempts + 1
        try:
            recipient = self._resolve(message.recipient_ref)
            if recipient is None:
                raise UnreachableRecipient("recipient reference resolves to nobody",
                                           reason="recipient_unknown")
            ensure_time_to_send(message, self._now())
            result = self._sender.send(message, recipient)
        except LeaseRunOut as exc:
            # No call was in flight: what this claim sent is known (parts_done). Hand the row back if it is
            # still ours; otherwise the next claim is uncertain and checks what arrived before sending.
            log.warning("outbox message %s: %s", message.id, exc)
            self._hand_back(message, parts_done=exc.parts_done)
            return "released", str(exc), False
        except ChannelUnavailable as exc:
            log.warning("outbox message %s waits for the channel: %s", message.id, exc)
            self._wait_for_channel(message, exc)
            return "released", str(exc), False
        except DeferredDelivery as exc:
            return self._defer(message, exc)
        except UnreachableRecipient as exc:
            error = f"{exc.reason}: {exc}"
            self._finish(message, status=UNREACHABLE, attempts=attempts, error=error, exc=exc)
            return "unreachable", error, False
        except PermanentDelivery as exc:
            log.warning("outbox message %s dead-lettered: %s", message.id, exc)
            self._finish(message, status=DEAD, attempts=attempts, error=str(exc), exc=exc)
            return "dead", str(exc), False
        except Exception as exc:  # noqa: BLE001 - retryable errors and bugs alike are retried, then dead-lettered
            if not isinstance(exc, RetryableDelivery):
                log.exception("outbox message %s: unexpected failure", message.id)
            error = str(exc) if isinstance(exc, RetryableDelivery) else f"{type(exc).__name__}: {exc}"
            rate_limited = bool(getattr(exc, "rate_limited", False))
            if attempts >= self._max_attempts and getattr(exc, "nothing_sent", False):
                # The channel, not the message, failed: it keeps waiting at the longest backoff (listed as
                # waiting with the reason) rather than dying for a call Zalo never processed.
                attempts = self._max_attempts
            elif attempts >= self._max_attempts:
                log.warning("outbox message %s dead after %s attempts: %s", message.id, attempts, error)
                self._finish(message, status=DEAD, attempts=attempts, error=error, exc=exc)
                return "dead", error, rate_limited
            retry_at = utc(self._now()) + timedelta(seconds=self._backoff(attempts))
            self._finish(message, status=PENDING, attempts=attempts, error=error, exc=exc,
                         next_attempt_at=retry_at)
            return "retried", error, rate_limited
        self._finish(message, status=SENT, attempts=attempts, error=result.note, result=result)
        return "sent", None, False

    def _defer(self, message: OutgoingMessage, exc: DeferredDelivery) -> tuple[str, str | None, bool]:
        """Back to pending until the rule lets the message go; the attempt is not counted (a night or an
        empty wallet must not use up the retries meant for Zalo's hiccups)."""
        until = utc(exc.not_before)
        error = f"{WAITING}{exc.rule}: {exc.explanation} {exc}"
        if message.uncertain:  # keep the mark: the next claim still checks what arrived before sending
            error += f" (an earlier send {UNKNOWN_OUTCOME})"
        log.warning("outbox message %s waits for %s until %s: %s", message.id, exc.rule, until.isoformat(), exc)
        self._finish(message, status=PENDING, attempts=message.attempts, error=error, exc=exc,
                     next_attempt_at=until)
        return "deferred", error, False

    def _backoff(self, attempts: int) -> float:
        delay = min(self._max_delay, self._base_delay * 2 ** (attempts - 1))
        return delay / 2 + self._rng.uniform(0, delay / 2)

    def _finish(self, message: OutgoingMessage, *, status: str, attempts: int, error: str | None,
                exc: BaseException | None = None, result: SendResult | None = None,
                next_attempt_at: datetime | None = None) -> None:
        values: dict[str, Any] = {"status": status, "attempts": attempts, "last_error": error,
                                  "next_attempt_at": next_attempt_at, "last_attempt_at": utc(self._now())}
        parts_done = getattr(exc, "parts_done", None)
        if parts_done is not None:
            values["parts_done"] = parts_done
        if result is not None:
            values.update(channel_used=result.channel_used, provider_message_id=result.provider_message_id,
                          sent_at=utc(self._now()))
        with Session(self._engine) as session:
            # Only while we still hold the claim (a lease that ran out may have been taken over).
            session.exec(update(OutboxMessage)  # type: ignore[call-overload]
                         .where(col(OutboxMessage.id) == message.id, col(OutboxMessage.status) == SENDING)
                         .values(**values))
            session.commit()

    def _hand_back(self, message: OutgoingMessage, *, parts_done: int | None) -> None:
        """Back to pending at once, fenced by the claim's lease value (a row taken over is left alone). An
        uncertain claim stays uncertain: its `sending` status was the only mark of a send that may have
        arrived, so the mark moves to `last_error`."""
        values: dict[str, Any] = {"status": PENDING, "next_attempt_at": utc(self._now())}
        if parts_done is not None:
            values["parts_done"] = parts_done
        if message.uncertain:  # still unknown whether an earlier claim's call arrived: keep checking first
            values["last_error"] = f"lease taken over; an earlier send {UNKNOWN_OUTCOME}"
        self._release(message, values)

    def _wait_for_channel(self, message: OutgoingMessage, exc: ChannelUnavailable) -> None:
        """Back to pending without spending an attempt; due after a short pause (the `ready` check holds it
        until the channel is back). What was sent stays known (parts_done), and an uncertain claim stays
        uncertain."""
        values: dict[str, Any] = {
            "status": PENDING, "next_attempt_at": utc(self._now()) + timedelta(seconds=self._base_delay),
            "last_error": f"waiting for the channel: {exc}"[:1000]}
        if exc.parts_done is not None:
            values["parts_done"] = exc.parts_done
        if message.uncertain:
            values["last_error"] += f"; an earlier send {UNKNOWN_OUTCOME}"
        self._release(message, values)

    def _release(self, message: OutgoingMessage, values: dict[str, Any]) -> None:
        """Write `values` on a row we still hold: fenced by the claim's lease value (`next_attempt_at` is the
        lease while `sending`), so a row another worker took over after our lease ran out is left alone."""
        with Session(self._engine) as session:
            session.exec(update(OutboxMessage)  # type: ignore[call-overload]
                         .where(col(OutboxMessage.id) == message.id, col(OutboxMessage.status) == SENDING,
                                col(OutboxMessage.next_attempt_at) == message.lease_until)
                         .values(**values))
            session.commit()

    # --- background thread --------------------------------------------------------------------------------

    def start(self) -> None:
        """Run passes in a daemon thread: every `interval` seconds, and at once after `notify()`."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def channel(self) -> str:
        """The outbox channel whose rows this relay sends."""
        return self._channel

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def notify(self) -> None:
        """Wake the thread now (call after committing an enqueue)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            progressed = False
            try:
                stats = self.run_once(self._batch_size)
                progressed = (stats.sent + stats.unreachable + stats.dead > 0) and not stats.rate_limited
            except Exception:  # noqa: BLE001 - the loop must survive a database hiccup
                log.exception("outbox relay pass failed")
            if not progressed:
                self._wake.wait(self._interval)
