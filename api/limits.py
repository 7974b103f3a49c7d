"""A bound on the API requests inside the app at once; the others wait their turn without holding a thread.

Why: a sync endpoint hops between worker threads (each dependency, the body, the session's commit in the
dependency's teardown). When every worker thread (40) is taken by requests blocked on a database lock or
on a pool connection that a request holding the lock would release — if only it got one more thread to
commit — the server stalls until the database timeout, then answers 500 (50 concurrent completes of one
task: 30 s, then 34 × 500). With fewer requests inside than threads and pool connections, the holder always
finds a thread and a connection.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

THREADPOOL_TOKENS = 40  # anyio's default thread limiter, which runs FastAPI's sync endpoints


def request_limit(pool_size: int) -> int:
    """One connection per request: the pool holds pool_size + max_overflow (= pool_size) connections."""
    return max(1, min(2 * pool_size, THREADPOOL_TOKENS - 8))


class ConcurrencyLimit:
    """ASGI middleware: at most `limit` concurrent HTTP requests under `prefix`."""

    def __init__(self, app: ASGIApp, *, limit: int, prefix: str = "/api/") -> None:
        self.app = app
        self.limit = limit
        self.prefix = prefix
        self._semaphore: anyio.Semaphore | None = None  # bound to the running event loop on first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.limit)
        async with self._semaphore:
            await self.app(scope, receive, send)
