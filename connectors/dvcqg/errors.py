"""What a DVCQG call may raise. The sync's sender maps these onto the outbox's delivery errors."""

from __future__ import annotations


class DvcqgError(Exception):
    """Base of every DVCQG failure."""


class DvcqgUnavailable(DvcqgError):
    """No answer we can use: connection refused, timeout, HTTP 5xx, a body that is not JSON.

    `maybe_applied`: the request may have reached DVCQG and taken effect (a timeout after sending, a 5xx);
    False when it surely did not (the connection was never made)."""

    def __init__(self, message: str, *, maybe_applied: bool) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied


class DvcqgAuthFailed(DvcqgError):
    """The adapter refused our login (wrong account or password): an administrator must fix the settings."""


class DvcqgRefused(DvcqgError):
    """DVCQG answered `error_code ≠ 0`: `code` and its `message` as sent (usually Vietnamese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"DVCQG error_code {code}: {message}")
        self.code = code
        self.message = message
