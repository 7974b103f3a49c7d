"""Writing to the outbox, inside the caller's transaction (flush, never commit)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select, update

from connectors.outbox.models import DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage, tracking_id_for
from connectors.outbox.wakeup import CHANNEL as WAKE_CHANNEL
from connectors.outbox.wakeup import announce_at_commit
from connectors.timeutil import utc

ENQUEUED = "outbox.enqueued"  # session.info mark: rows were added in this session


def enqueue(
    session: Session, *, idempotency_key: str, kind: str, subject_ref: str, recipient_ref: str,
    payload: dict[str, Any], now: datetime, channel: str = "zalo",
    on_commit: Callable[[], None] | None = None,
) -> OutboxMessage | None:
    """Add a message in the caller's transaction; None (and nothing written) when the key already exists.

    The relay sees the row only after the caller commits; `on_commit` (e.g. `relay.notify`) runs right
    after that commit so the message leaves at once instead of at the next poll.
    """
    values: dict[str, Any] = {
        "idempotency_key": idempotency_key, "channel": channel, "kind": kind, "subject_ref": subject_ref,
        "recipient_ref": recipient_ref, "payload": payload, "status": PENDING, "attempts": 0, "parts_done": 0,
        "next_attempt_at": utc(now), "created_at": utc(now), "tracking_id": tracking_id_for(idempotency_key),
    }
    # One statement, no savepoint: an existing key (or one a concurrent transaction is inserting) is left
    # as it is, and PostgreSQL waits for that transaction instead of failing ours. The subject's next
    # sequence number is taken inside it (one round trip, not a max() and then the INSERT).
    statement = _insert_statement(session.get_bind().dialect.name)
    inserted = session.execute(statement, {**values, SEQUENCE_OF: subject_ref}).one_or_none()
    if inserted is None:
        return None
    message = OutboxMessage(id=inserted.id, sequence=inserted.sequence, channel_used=None,
                            provider_message_id=None, last_error=None, sent_at=None, delivered_at=None,
                            seen_at=None, **values)
    make_transient_to_detached(message)  # the row exists: attach it without another INSERT or SELECT
    session.add(message)
    session.info[ENQUEUED] = True
    # A relay in another process leaves it at once too: on PostgreSQL the INSERT itself announced the row
    # (`_insert_statement`), delivered at the commit, dropped with a rolled-back savepoint or transaction.
    if on_commit is not None:
        event.listen(session, "after_commit", lambda _session: on_commit(), once=True)
    return message


_INSERTS: dict[str, Any] = {}
SEQUENCE_OF = "sequence_of"  # the parameter naming the subject whose next sequence number the INSERT takes


def _insert_statement(dialect: str) -> Any:
    """The enqueue's INSERT … ON CONFLICT DO NOTHING RETURNING id, sequence, built once per dialect; the
    row's values are the execution's parameters, its sequence the subject's max + 1. On PostgreSQL the
    RETURNING clause also runs `pg_notify('motcua_outbox', channel)` for the inserted row (see
    connectors/outbox/wakeup.py): the announcement rides on the INSERT instead of a statement of its own
    before the commit, one round trip less per notifying request; PostgreSQL folds repeated notifications
    of one transaction into one. With the values inside
    the statement, SQLAlchemy walked them (the payload too) to make the statement's cache key on every
    enqueue: a notifying step enqueues two or three messages, and that walk was a visible share of the
    server's time under load (py-spy)."""
    statement = _INSERTS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        following = (select(func.coalesce(func.max(OutboxMessage.sequence), 0) + 1)
                     .where(OutboxMessage.subject_ref == bindparam(SEQUENCE_OF)).scalar_subquery())
        statement = (insert(OutboxMessage).values(sequence=following)
                     .on_conflict_do_nothing(index_elements=["idempotency_key"])
                     .returning(col(OutboxMessage.id), col(OutboxMessage.sequence)))
        if dialect == "postgresql":
            announced = func.pg_notify(WAKE_CHANNEL, col(OutboxMessage.channel)).is_(None).label("announced")
            statement = statement.returning(announced)
        _INSERTS[dialect] = statement
    return statement


def enqueued_in(session: Session) -> bool:
    """Whether this session added outbox rows (so its commit should wake the relay); clears the mark."""
    return bool(session.info.pop(ENQUEUED, False))


def messages_for(session: Session, *, subject_ref: str) -> list[OutboxMessage]:
    """The subject's messages in sending order (for the dossier view and the operators)."""
    query = (select(OutboxMessage).where(OutboxMessage.subject_ref == subject_ref)
             .order_by(col(OutboxMessage.sequence), col(OutboxMessage.id)))
    return list(session.exec(query).all())


def requeue(session: Session, *, message_id: int, now: datetime) -> OutboxMessage:
    """Send a dead or unreachable message again (an operator's decision); attempts start over."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise LookupError(f"no outbox message {message_id}")
    if message.status not in (DEAD, UNREACHABLE):
        raise ValueError(f"outbox message {message_id} is {message.status}, not dead or unreachable")
    message.status = PENDING
    message.attempts = 0
    message.next_attempt_at = utc(now)
    session.add(message)
    session.flush()
    session.info[ENQUEUED] = True
    announce_at_commit(session, message.channel)
    return message


def requeue_where(
    session: Session, *, statuses: Collection[str], now: datetime, message_id: int | None = None,
    channel: str | None = None,
) -> list[int]:
    """Put back to pending, due `now` with attempts from zero, the rows whose status is in `statuses` (only
    row `message_id` when given); the ids requeued, in the caller's transaction.

    One conditional UPDATE, so a row the relay claims (`sending`) or finishes (`sent`) meanwhile is left as
    it is, never sent twice. `parts_done` and `last_error` stay: the retry resumes after the parts already
    delivered, and a send whose outcome was unknown is still checked against the conversation first."""
    if SENDING in statuses or SENT in statuses:
        raise ValueError("a message being sent or already sent is never requeued")
    statement = (update(OutboxMessage)
                 .where(col(OutboxMessage.status).in_(list(statuses)))
                 .values(status=PENDING, attempts=0, next_attempt_at=utc(now))
                 .returning(col(OutboxMessage.id)))
    if message_id is not None:
        statement = statement.where(col(OutboxMessage.id) == message_id)
    if channel is not None:  # only this channel's rows (Zalo's resend-all leaves DVCQG's alone)
        statement = statement.where(col(OutboxMessage.channel) == channel)
    ids = sorted(int(row_id) for row_id in session.execute(statement).scalars().all())
    if ids:
        session.info[ENQUEUED] = True  # the request's commit wakes the relay
        announce_at_commit(session, channel or "*")  # "*": every channel's relay
    return ids
