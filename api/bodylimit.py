"""Request bodies are bounded before they are read, and uploads are authenticated before they are read.

Why here and not in the routes: FastAPI reads (and spools to disk) a whole body before it resolves the
route's dependencies, so a 401 or a size check in a route comes after the bytes were taken in. This
ASGI middleware refuses a declared `Content-Length` over the route's limit without reading a byte,
counts the bytes of a body sent without one (chunked) and stops at the limit, and, on the upload routes,
checks the caller's credentials first. A refusal closes the connection (`Connection: close`), so the
server does not go on receiving the rest of the body either.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ProblemHTTPException, problem

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the small form fields next to the file
Authenticator = Callable[[Scope], Awaitable[Response | None]]


@dataclass(frozen=True)
class BodyRule:
    """The body limit of the requests matching `method` (`*`: any) and `path` (a full-match regex)."""

    method: str
    path: str
    max_bytes: int
    authenticate_first: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and re.fullmatch(self.path, path) is not None


def too_large(limit: int) -> ProblemHTTPException:
    return ProblemHTTPException(
        413, code="payload_too_large", headers={"Connection": "close"},
        detail=f"Dữ liệu gửi lên vượt quá giới hạn cho phép ({_size(limit)}).",
    )


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.3g} MB".replace(".", ",")
    return f"{limit // 1024} KB"


class BodyLimit:
    """ASGI middleware: at most `default_bytes` per request body, or the limit of the first matching rule."""

    def __init__(self, app: ASGIApp, *, default_bytes: int, rules: Sequence[BodyRule] = (),
                 authenticate: Authenticator | None = None) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.rules = tuple(rules)
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = next((r for r in self.rules if r.matches(scope["method"], scope["path"])), None)
        limit = rule.max_bytes if rule else self.default_bytes
        headers = Headers(scope=scope)
        declared = _content_length(headers)
        has_body = (declared or 0) > 0 or "chunked" in headers.get("transfer-encoding", "").lower()
        if declared is not None and declared > limit:
            await _answer(too_large(limit), scope, receive, send)
            return
        if rule and rule.authenticate_first and has_body and self.authenticate is not None:
            refusal = await self.authenticate(scope)
            if refusal is not None:
                refusal.headers["Connection"] = "close"
                await refusal(scope, receive, send)
                return
        counter = _CountingBody(receive, send, limit=limit, has_body=has_body)
        try:
            await self.app(scope, counter.receive, counter.send)
        except ProblemHTTPException as exc:  # raised by our receive where no route handler was there
            if counter.response_started or exc.status_code != 413:
                raise
            await _answer(exc, scope, receive, send)


class _CountingBody:
    """Hands the body on while counting it; past the limit, raises 413 instead of the next chunk. A
    response that starts before the body was read to its end closes the connection."""

    def __init__(self, receive: Receive, send: Send, *, limit: int, has_body: bool) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        self.received = 0
        self.finished = not has_body
        self.response_started = False

    async def receive(self) -> Message:
        if self.received > self.limit:
            raise too_large(self.limit)
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.finished = not message.get("more_body", False)
            if self.received > self.limit:
                raise too_large(self.limit)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
            if not self.finished:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
        await self._send(message)


async def _answer(exc: ProblemHTTPException, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(exc.status_code, exc.code, exc.detail, headers=exc.headers)
    await response(scope, receive, send)


def _content_length(headers: Headers) -> int | None:
    try:
        value = int(headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None
