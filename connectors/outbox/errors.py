"""What a sender may raise; the relay turns each class into a row status.

`parts_done` lets a multi-part send (text, then files) resume where it stopped instead of repeating
what the recipient already received.
"""

from __future__ import annotations

from datetime import datetime


class DeliveryError(Exception):
    """Base: the message was not (fully) delivered."""

    def __init__(self, message: str, *, parts_done: int | None = None) -> None:
        super().__init__(message)
        self.parts_done = parts_done


class RetryableDelivery(DeliveryError):
    """Transient (rate limit, 5xx, timeout, credentials being renewed): try again later with backoff.

    `rate_limited` asks the relay to stop its current batch, not only to delay this message.
    `nothing_sent`: this attempt failed before it could send anything (the channel refused every call, or
    could not tell what an earlier, uncertain attempt delivered). Such a failure is the channel's, not the
    message's: the relay keeps retrying it with the longest backoff once the attempts are used up, instead of
    dead-lettering a message that was never refused.
    """

    rate_limited: bool = False
    nothing_sent: bool = False


class ChannelUnavailable(DeliveryError):
    """The channel itself cannot send now (no credentials: the account was never connected, or its
    connection was lost). Not the message's fault: it waits, due again at once, without spending an attempt
    and never dead-lettered for it. The relay's `ready` check keeps it from being claimed meanwhile."""


class UnreachableRecipient(DeliveryError):
    """The recipient cannot be reached on this channel now (not a follower, outside the window, blocked,
    phone not on Zalo...). Recorded with `reason`, never retried."""

    def __init__(self, message: str, *, reason: str = "unreachable", parts_done: int | None = None) -> None:
        super().__init__(message, parts_done=parts_done)
        self.reason = reason


class PermanentDelivery(DeliveryError):
    """The request itself is wrong (bad parameter, unapproved template...): dead-letter at once."""


class LeaseRunOut(DeliveryError):
    """The claim's time to send ran out before the next network call (the relay waited long for the
    database): nothing more is sent and nothing recorded; another pass takes the message over once the
    lease ends, as an uncertain retry that first checks what arrived."""


class DeferredDelivery(DeliveryError):
    """The channel's own sending rule stops the message until a known time (a night curfew, a daily quota,
    an empty wallet): the relay puts it back to wait until `not_before` WITHOUT spending an attempt, so a
    rule that lasts hours never turns a message into a dead letter. `rule` names the rule (a short key
    stored first in the row's `last_error`, after `waiting:`); `explanation` is what an official reads."""

    def __init__(self, message: str, *, not_before: datetime, rule: str, explanation: str,
                 parts_done: int | None = None) -> None:
        super().__init__(message, parts_done=parts_done)
        self.not_before = not_before
        self.rule = rule
        self.explanation = explanation
