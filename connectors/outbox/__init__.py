"""Transactional outbox: `enqueue` in the business transaction, `OutboxRelay` sends after commit."""

from connectors.outbox.errors import DeliveryError, PermanentDelivery, RetryableDelivery, UnreachableRecipient
from connectors.outbox.models import DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage
from connectors.outbox.relay import OutboxRelay, OutgoingMessage, Recipient, RelayStats, Sender, SendResult
from connectors.outbox.service import enqueue, enqueued_in, messages_for, requeue

__all__ = [
    "DEAD", "PENDING", "SENDING", "SENT", "UNREACHABLE",
    "DeliveryError", "OutboxMessage", "OutboxRelay", "OutgoingMessage", "PermanentDelivery", "Recipient",
    "RelayStats", "RetryableDelivery", "SendResult", "Sender", "UnreachableRecipient",
    "enqueue", "enqueued_in", "messages_for", "requeue",
]
