"""The emulator's application error."""

from __future__ import annotations


class EmuError(Exception):
    """A Zalo application error: answered as HTTP 200 {"error": code, "message": ...}."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
