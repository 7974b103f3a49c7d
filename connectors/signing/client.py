"""The remote signing client. The protocol of the CA providers' remote signing services for officials (the
key stays in the provider's HSM; the official approves each signature in the provider's phone app):

    GET  {base}/v1/credentials/{user_id}   the official's certificate and its chain (PEM)
    POST {base}/v1/signatures              {"user_id", "hash" (base64), "hash_algorithm", "description"}
                                           → 202 {"transaction_id", "status": "PENDING"}
    GET  {base}/v1/signatures/{id}         {"status": PENDING | CONFIRMED | REJECTED | EXPIRED,
                                            "signature" (base64, when CONFIRMED)}

Every call authenticates with HTTP Basic (`client_id`, `client_secret`). `sign_hash` submits and then polls
until the official answers or `timeout` passes. Transport only; what is signed is pyHanko's business."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

log = logging.getLogger(__name__)


class RemoteSigningError(Exception):
    """The service refused or could not be reached; `code` says which, the message says it in Vietnamese."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class RemoteSigningTimeout(RemoteSigningError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="remote_signing_timeout")


@dataclass(frozen=True)
class Credential:
    user_id: str
    certificate_pem: str
    chain_pem: tuple[str, ...]


class RemoteSigningClient:
    def __init__(self, *, base_url: str, client_id: str, client_secret: str, request_timeout: float,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = (client_id, client_secret)
        self._timeout = request_timeout
        self._http = session or requests.Session()
        self._sleep = sleep
        self._monotonic = monotonic

    def credential(self, user_id: str) -> Credential:
        """The official's certificate; RemoteSigningError(code="unknown_user") when the provider has none."""
        reply = self._call("GET", f"/v1/credentials/{user_id}", missing="unknown_user")
        return Credential(user_id=user_id, certificate_pem=str(reply["certificate"]),
                          chain_pem=tuple(str(c) for c in reply.get("chain") or ()))

    def sign_hash(self, *, user_id: str, digest: bytes, hash_algorithm: str, description: str,
                  timeout: float, poll_interval: float) -> bytes:
        """Submit `digest` for the official's signature and wait for it: the raw signature value. Raises
        RemoteSigningTimeout when the official has not confirmed within `timeout` seconds, RemoteSigningError
        when they rejected it or the service failed."""
        reply = self._call("POST", "/v1/signatures", json={
            "user_id": user_id, "hash": base64.b64encode(digest).decode("ascii"),
            "hash_algorithm": hash_algorithm.upper().replace("-", ""), "description": description[:200]})
        transaction = str(reply["transaction_id"])
        deadline = self._monotonic() + timeout
        while True:
            state = self._call("GET", f"/v1/signatures/{transaction}")
            status = str(state.get("status", "")).upper()
            if status == "CONFIRMED":
                return base64.b64decode(str(state["signature"]))
            if status in ("REJECTED", "EXPIRED"):
                raise RemoteSigningError(
                    "Người ký đã từ chối yêu cầu ký số." if status == "REJECTED"
                    else "Yêu cầu ký số đã hết hạn tại nhà cung cấp dịch vụ ký số.", code=f"remote_{status.lower()}")
            if self._monotonic() >= deadline:
                raise RemoteSigningTimeout(
                    f"Hết thời gian chờ người ký xác nhận ký số trên điện thoại ({timeout:g} giây, giao dịch "
                    f"{transaction}).")
            self._sleep(min(poll_interval, max(0.0, deadline - self._monotonic())))

    def _call(self, method: str, path: str, *, json: dict[str, Any] | None = None,
              missing: str = "remote_not_found") -> dict[str, Any]:
        try:
            response = self._http.request(method, self.base_url + path, json=json, auth=self._auth,
                                          timeout=self._timeout)
        except requests.RequestException as exc:
            raise RemoteSigningError(f"Không kết nối được dịch vụ ký số từ xa ({type(exc).__name__}).",
                                     code="remote_unavailable") from exc
        if response.status_code == 404:
            raise RemoteSigningError("Dịch vụ ký số từ xa không có chứng thư số của người ký.", code=missing)
        if response.status_code in (401, 403):
            raise RemoteSigningError("Dịch vụ ký số từ xa từ chối thông tin xác thực của hệ thống.",
                                     code="remote_auth_failed")
        if response.status_code >= 400:
            raise RemoteSigningError(f"Dịch vụ ký số từ xa trả lỗi HTTP {response.status_code}.",
                                     code="remote_failed")
        body = response.json()
        if not isinstance(body, dict):
            raise RemoteSigningError("Dịch vụ ký số từ xa trả lời không đúng định dạng.", code="remote_failed")
        return body
