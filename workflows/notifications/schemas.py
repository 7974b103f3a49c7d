"""What administrators read and send about the outbox's messages (the failed-messages screen)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import VnDateTime
from workflows.core.schemas import StrictIn


class MessageState(StrEnum):
    """A message's state as administrators see it; `waiting` is every message not yet sent (pending, being
    retried, or in flight), `dead` a message Zalo refused or that ran out of attempts, `unreachable` a
    citizen Zalo could not reach, `sent` a delivered message."""

    WAITING = "waiting"
    DEAD = "dead"
    UNREACHABLE = "unreachable"
    SENT = "sent"


class ResendState(StrEnum):
    """The states whose messages may be sent again (never `sent`: that would duplicate a delivery)."""

    WAITING = "waiting"
    DEAD = "dead"
    UNREACHABLE = "unreachable"


class OutboxMessageOut(BaseModel):
    """One message to a citizen or an official, without its text: what it is about, who (masked) and what
    became of it."""

    id: int
    state: MessageState
    status: str = Field(description="The outbox row's status: pending | sending | sent | unreachable | dead")
    kind: str = Field(examples=["dossier_event"])
    event: str = Field(description="The event of the case it tells about", examples=["TIEP_NHAN"])
    subject: str = Field(description="The dossier code or the case the message is about")
    recipient: str = Field(description="Who it is for, masked: the kind of reference, then only its last "
                                       "characters", examples=["zalo:****************789"])
    reason: str | None = Field(description="The last error as the relay recorded it (Zalo's code and words)")
    attempts: int
    created_at: VnDateTime
    next_attempt_at: VnDateTime | None
    last_attempt_at: VnDateTime | None
    sent_at: VnDateTime | None
    tracking_id: str | None = Field(None, description="Our correlation id sent with a template message; "
                                                      "Zalo's delivery event names it")
    provider_message_id: str | None = Field(None, description="Zalo's id of the (first) message sent")
    delivered_at: VnDateTime | None = Field(None, description="When Zalo reported it reached the recipient")
    seen_at: VnDateTime | None = Field(None, description="When Zalo reported the recipient read it")


class ResendAllIn(StrictIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{"state": "dead"}]})

    state: ResendState = Field(description="Send again every message in this state")


class ResendAllOut(BaseModel):
    state: ResendState
    resent: int = Field(description="How many messages were put back in the queue")
    ids: list[int]
