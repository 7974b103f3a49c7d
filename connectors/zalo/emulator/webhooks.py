"""Signed webhook delivery from the emulator to our server (ZALO_API.md §8.3–8.6), at least once."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

import requests

from connectors.zalo.webhook import sign

log = logging.getLogger(__name__)


class WebhookDispatcher:
    """POSTs each event with `X-ZEvent-Signature: mac=…` over the exact bytes sent; retries a non-200 answer
    after `retry_delays` seconds (with Zalo's `num_retry` header). In order, one delivery at a time, in a
    daemon thread started on first use — or inline when `synchronous`."""

    def __init__(self, *, url: str | None, app_id: str, oa_secret_key: str, timeout: float = 5.0,
                 retry_delays: tuple[float, ...] = (0.5, 2.0, 5.0), synchronous: bool = False) -> None:
        self.url = url
        self._app_id = app_id
        self._secret = oa_secret_key
        self._timeout = timeout
        self._retry_delays = retry_delays
        self._synchronous = synchronous
        self._queue: queue.Queue[tuple[dict[str, Any], bytes] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._http = requests.Session()
        self.deliveries: list[dict[str, Any]] = []

    def emit(self, event: dict[str, Any]) -> dict[str, Any]:
        """Queue the event; returns its delivery record (status pending|delivered|failed|no_url)."""
        raw = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        record: dict[str, Any] = {"event_name": event.get("event_name"), "timestamp": event.get("timestamp"),
                                  "status": "pending" if self.url else "no_url", "attempts": 0,
                                  "last_http_status": None, "event": event}
        with self._lock:
            self.deliveries.append(record)
        if not self.url:
            return record
        if self._synchronous:
            self._deliver(record, raw)
        else:
            self._ensure_thread()
            self._queue.put((record, raw))
        return record

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued event was delivered or given up (for tests and demos)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(r["status"] != "pending" for r in self.deliveries):
                    return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        """Stop delivering: what is queued or being retried is dropped (the server it goes to is going away
        with the emulator), and the thread ends."""
        self._closed.set()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(5)
            self._thread = None
        self._http.close()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="zalo-emulator-webhooks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._closed.is_set():
                return
            self._deliver(*item)

    def _deliver(self, record: dict[str, Any], raw: bytes) -> None:
        timestamp = str(record["timestamp"])
        headers = {"Content-Type": "application/json",
                   "X-ZEvent-Signature": "mac=" + sign(app_id=self._app_id, raw_body=raw, timestamp=timestamp,
                                                      oa_secret_key=self._secret)}
        for attempt in range(len(self._retry_delays) + 1):
            if attempt:
                if self._closed.wait(self._retry_delays[attempt - 1]):
                    return
                headers["num_retry"] = str(attempt)
            record["attempts"] = attempt + 1
            try:
                response = self._http.post(str(self.url), data=raw, headers=headers, timeout=self._timeout)
                record["last_http_status"] = response.status_code
                if response.status_code == 200:
                    record["status"] = "delivered"
                    return
            except requests.RequestException as exc:
                record["last_http_status"] = type(exc).__name__
        record["status"] = "failed"
        log.warning("zalo emulator gave up delivering %s to %s", record["event_name"], self.url)
