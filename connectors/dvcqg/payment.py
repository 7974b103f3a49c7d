"""The payment platform client: INIT (the payment page's address), QUERY (an attempt's state), GET_BILL (the
e-receipt). Transport and signatures only; the messages are `payment_wire`'s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests

from connectors.dvcqg import payment_wire as wire
from connectors.dvcqg.errors import DvcqgRefused, DvcqgUnavailable


class PaymentPlatform:
    def __init__(self, *, base_url: str, bearer_token: str, partner: str, secret: str, version: str,
                 account: str, bank: str, account_name: str, session: requests.Session, timeout: float,
                 now: Callable[[], datetime]) -> None:
        self._base = base_url.rstrip("/")
        self._token = bearer_token
        self.partner, self.secret, self.version = partner, secret, version
        self._beneficiary = {"account": account, "bank": bank, "account_name": account_name}
        self._http = session
        self._timeout = timeout
        self._now = now

    def init(self, order: wire.PaymentOrder) -> str:
        """The platform's payment page for `order`; DvcqgRefused / DvcqgUnavailable otherwise."""
        message = wire.init_message(order, partner=self.partner, version=self.version, secret=self.secret,
                                    **self._beneficiary)
        reply = self._post("/init", message)
        url = wire.payment_url(reply)
        if url is None:
            raise DvcqgRefused(str(reply.get("error_code")), str(reply.get("message") or "INIT refused"))
        return url

    def query(self, reference: str) -> str | None:
        """"paid", "failed", "pending" or None (not understood)."""
        return wire.query_state(self._post("/query", self._ask("QUERY", reference)))

    def get_bill(self, reference: str) -> wire.Receipt | None:
        return wire.read_bill(self._post("/get-bill", self._ask("GET_BILL", reference)))

    def _ask(self, kind: str, reference: str) -> dict[str, Any]:
        return wire.query_message(kind, reference=reference, at=self._now(), partner=self.partner,
                                  version=self.version, secret=self.secret)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self._base + path
        try:
            response = self._http.post(url, json=body, timeout=self._timeout,
                                       headers={"Authorization": f"Bearer {self._token}"})
        except requests.ConnectionError as exc:
            raise DvcqgUnavailable(f"payment platform unreachable at {url}: {exc}", maybe_applied=False) from exc
        except requests.RequestException as exc:
            raise DvcqgUnavailable(f"payment platform call failed at {url}: {exc}", maybe_applied=True) from exc
        if response.status_code >= 500:
            raise DvcqgUnavailable(f"payment platform answered HTTP {response.status_code}", maybe_applied=True)
        try:
            reply = response.json()
        except ValueError as exc:
            raise DvcqgUnavailable(f"payment platform answered HTTP {response.status_code} without JSON",
                                   maybe_applied=True) from exc
        if not isinstance(reply, dict):
            raise DvcqgUnavailable("payment platform answered JSON that is not an object", maybe_applied=True)
        if response.status_code >= 400:
            raise DvcqgRefused(str(reply.get("error_code", response.status_code)), str(reply.get("message", "")))
        return reply
