"""Zalo's application errors (HTTP 200 with a negative `error`, ZALO_API.md §10) mapped to four classes."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.outbox.errors import (
    ChannelUnavailable,
    DeferredDelivery,
    DeliveryError,
    PermanentDelivery,
    RetryableDelivery,
    UnreachableRecipient,
)
from connectors.zalo import rules
from connectors.zalo.tokens import RefreshRefused

RATE_LIMIT = -32
# Expired or invalid access token: -216/-220 on the OA host, -124 on the business (ZNS/ZBS) host.
TOKEN_CODES = frozenset({-216, -220, -124})
# Transient on Zalo's side: generic send failure, expired upload (re-uploaded on the next attempt). Zalo's
# sending rules (night curfew, daily quotas, an empty wallet) are not retried but waited for: rules.py.
RETRYABLE_CODES = frozenset({RATE_LIMIT, -100, -200})
# The recipient cannot be reached now; the value is the reason recorded on the outbox row.
UNREACHABLE_REASONS: dict[int, str] = {
    -213: "not_follower",
    -217: "blocked_oa",
    -218: "receive_quota_exhausted",
    -222: "user_inactive",
    -227: "user_inactive",
    -230: "outside_window",
    -232: "outside_window",
    -244: "user_restricted_message_type",
    -249: "template_not_for_uid",
    -108: "phone_invalid",
    -114: "user_cannot_receive",
    -118: "phone_not_on_zalo",
    -119: "user_cannot_receive",
    -139: "user_refused_content",
    -140: "user_ineligible",
    -141: "user_refused_oa",
    -127: "not_template_tester",  # development mode: only the app's/OA's administrators receive (§9.3)
}


class ZaloError(DeliveryError):
    """Any failure of a Zalo call; `code` is Zalo's error code (None for HTTP/transport failures)."""

    def __init__(self, message: str, *, code: int | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status

    def __str__(self) -> str:
        where = f"zalo {self.code}" if self.code is not None else f"http {self.http_status or '-'}"
        return f"[{where}] {self.args[0]}"


class ZaloRetryable(ZaloError, RetryableDelivery):
    """Rate limit (-32), 5xx, timeouts and other transient failures.

    `outcome_unknown` is set for timeouts: Zalo may have delivered the message (it has no idempotency key).
    """

    def __init__(self, message: str, *, code: int | None = None, http_status: int | None = None,
                 outcome_unknown: bool = False) -> None:
        super().__init__(message, code=code, http_status=http_status)
        self.outcome_unknown = outcome_unknown
        self.rate_limited = code == RATE_LIMIT
        self.nothing_sent = self.rate_limited  # -32: Zalo processed nothing of this call


class ZaloTokenError(ZaloError, RetryableDelivery):
    """The access token was refused even after one refresh, or the refresh itself failed.

    Retryable for the outbox (credentials may be restored); an operator must look when it persists.
    """


class ZaloTokenRefused(ZaloTokenError, RefreshRefused):
    """The token endpoint answered with an error body (ZALO_API.md §3.6: an `error` key, no `access_token`):
    for a refresh, the single-use refresh token is dead and an OA admin must grant the app again."""


class ZaloNotConnected(ZaloTokenError, ChannelUnavailable):
    """No usable access token and none can be had now: the OA never granted the app, the refresh token was
    refused (`refresh_failed`), or a refresh is waiting out its backoff. Messages wait for the connection
    instead of spending their attempts (connectors/zalo/connection.py)."""


class ZaloUnreachable(ZaloError, UnreachableRecipient):
    """Not a follower, outside the interaction window, blocked, phone not on Zalo: record, do not retry."""

    def __init__(self, message: str, *, code: int | None = None, reason: str) -> None:
        super().__init__(message, code=code)
        self.reason = reason


class ZaloDeferred(ZaloError, DeferredDelivery):
    """One of Zalo's sending rules (rules.py) stops the message until `not_before`: it waits, attempts kept."""

    def __init__(self, message: str, *, code: int, rule: str, not_before: datetime) -> None:
        DeferredDelivery.__init__(self, message, not_before=not_before, rule=rule,
                                  explanation=rules.explain(rule, not_before))
        self.code, self.http_status = code, None


class ZaloBadRequest(ZaloError, PermanentDelivery):
    """A request Zalo will never accept as it is (-201 bad parameter, unapproved template...): dead-letter."""


def error_for(code: int, message: str, *, now: datetime | None = None) -> ZaloError:
    """The exception for a Zalo application error code; `now` (the caller's clock) dates a sending rule's
    wait (`ZaloDeferred.not_before`)."""
    rule = rules.rule_for(code)
    if rule is not None:
        at = rules.not_before(rule, now or datetime.now(UTC))
        return ZaloDeferred(message, code=code, rule=rule, not_before=at)
    if code in TOKEN_CODES:
        return ZaloTokenError(message, code=code)
    if code in RETRYABLE_CODES:
        return ZaloRetryable(message, code=code)
    if code in UNREACHABLE_REASONS:
        return ZaloUnreachable(message, code=code, reason=UNREACHABLE_REASONS[code])
    return ZaloBadRequest(message, code=code)
