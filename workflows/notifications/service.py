"""Notifying a citizen: one message in the outbox, written in the caller's transaction.

Every message a citizen receives about a case (a dossier's steps, an official's message, the answer to
feedback) is queued by `notify_citizen`: the text sent inside Zalo's interaction window, and the approved
template it falls back to outside it, filled by `texts.template_data`. What the text says is the caller's
(the domain renders it); how it is addressed and keyed is here. Nothing leaves before the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from connectors.outbox import OutboxMessage, enqueue
from connectors.zalo.payload import Attachment, MessagePayload
from workflows.notifications import texts


def next_key(session: Session, *, prefix: str) -> str:
    """`<prefix><n>` for the n-th message under `prefix` (e.g. `<code>:<event>:`): the n-th occurrence gets a
    key of its own, and a rolled-back transaction that is run again gets the same key, so a retried step
    never sends twice."""
    seen = session.exec(select(OutboxMessage.id).where(col(OutboxMessage.idempotency_key).startswith(prefix))).all()
    return f"{prefix}{len(seen) + 1}"


def notify_citizen(
    session: Session, *, key: str, kind: str, code: str, recipient_ref: str, event: str, text: str,
    name: str, status: str, cta_text: str, cta_url: str, now: datetime,
    attachment: Attachment | None = None, sender: str | None = None,
) -> OutboxMessage | None:
    """Queue `text` (and `attachment`) for the citizen behind `recipient_ref` about case `code`, with the
    approved template's parameters (the code, the citizen's `name`, the `status` label and the button) in
    case the interaction window is closed. None, and nothing written, when `key` was already queued.

    `code` is also the outbox subject: a case's messages leave in the order they were queued.
    `recipient_ref` is resolved at send time (`workflows/zalo/recipients.py`); no phone sits in the outbox.
    """
    payload = MessagePayload(
        event=event, text=text, attachment=attachment, sender=sender,
        template=texts.template_data(code=code, name=name, status=status, cta_text=cta_text, cta_url=cta_url),
    )
    return enqueue(session, idempotency_key=key, kind=kind, subject_ref=code, recipient_ref=recipient_ref,
                   payload=payload.to_dict(), now=now)
