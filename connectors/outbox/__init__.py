"""Transactional outbox: `enqueue` in the business transaction, `OutboxRelay` sends after commit."""

from connectors.outbox.errors import (
    DeferredDelivery,
    DeliveryError,
    LeaseRunOut,
    PermanentDelivery,
    RetryableDelivery,
    UnreachableRecipient,
)
from connectors.outbox.models import DEAD, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage, tracking_id_for
from connectors.outbox.relay import (
    OutboxRelay,
    OutgoingMessage,
    Recipient,
    RelayStats,
    Sender,
    SendResult,
    ensure_time_to_send,
)
from connectors.outbox.service import enqueue, enqueued_in, messages_for, requeue, requeue_where

__all__ = [
    "DEAD", "PENDING", "SENDING", "SENT", "UNREACHABLE",
    "DeferredDelivery", "DeliveryError", "LeaseRunOut", "OutboxMessage", "OutboxRelay", "OutgoingMessage",
    "PermanentDelivery",
    "Recipient", "RelayStats", "RetryableDelivery", "SendResult", "Sender", "UnreachableRecipient",
    "enqueue", "enqueued_in", "ensure_time_to_send", "messages_for", "requeue",
    "requeue_where", "tracking_id_for",
]
