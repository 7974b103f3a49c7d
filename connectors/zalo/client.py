"""The Zalo OA client: the wire protocol of ZALO_API.md (hosts §2.1, envelope §2.4, OAuth v4 §3, CS §4.3,
ZBS by UID §4.6 and by phone §9.1, upload §5, user detail §6.1, per-user quota §7), nothing more.

Every call has a timeout. Zalo answers application errors with HTTP 200 and a negative `error`; they become
the exceptions of `connectors.zalo.errors`. An access token refused with -216/-220/-124 triggers one
single-flight refresh (see tokens.py) and one retry of the call, never a loop.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from connectors.timeutil import from_epoch_ms, utc
from connectors.zalo.errors import (
    ZaloBadRequest,
    ZaloError,
    ZaloNotConnected,
    ZaloRetryable,
    ZaloTokenError,
    ZaloTokenRefused,
    error_for,
)
from connectors.zalo.tokens import TokenPair, TokenStore

log = logging.getLogger(__name__)

# Refresh tokens live 3 months (§3.5); Zalo does not return their lifetime.
REFRESH_TOKEN_LIFETIME = timedelta(days=90)


class ZaloClient:
    def __init__(
        self, *, openapi_base_url: str, business_base_url: str, oauth_base_url: str, app_id: str,
        app_secret: str, tokens: TokenStore, session: requests.Session, timeout: float,
        now: Callable[[], datetime] | None = None, refresh_margin: timedelta = timedelta(hours=5),
    ) -> None:
        """`refresh_margin`: refresh proactively when the access token (25 h) has less than this left."""
        self._openapi = openapi_base_url.rstrip("/")
        self._business = business_base_url.rstrip("/")
        self._oauth = oauth_base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._tokens = tokens
        self._http = session
        self._timeout = timeout
        self._now = now or (lambda: datetime.now(UTC))
        self._refresh_margin = refresh_margin

    # --- messages -----------------------------------------------------------------------------------------

    def send_text(self, user_id: str, text: str) -> str:
        """A customer-service text (≤ 2,000 characters); returns Zalo's `message_id`."""
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        return str(self._post_openapi("/v3.0/oa/message/cs", body)["message_id"])

    def send_file(self, user_id: str, file_token: str) -> str:
        """A customer-service file message; `file_token` comes from `upload_file` (valid 7 days)."""
        body = {"recipient": {"user_id": user_id},
                "message": {"attachment": {"type": "file", "payload": {"token": file_token}}}}
        return str(self._post_openapi("/v3.0/oa/message/cs", body)["message_id"])

    def send_request_user_info(self, user_id: str, title: str, subtitle: str,
                               image_url: str | None = None) -> str:
        """Ask the user to share name/phone (answer: the `user_submit_info` webhook)."""
        element: dict[str, str] = {"title": title, "subtitle": subtitle}
        if image_url:
            element["image_url"] = image_url
        body = {"recipient": {"user_id": user_id}, "message": {"attachment": {"type": "template", "payload": {
            "template_type": "request_user_info", "elements": [element]}}}}
        return str(self._post_openapi("/v3.0/oa/message/cs", body)["message_id"])

    def send_template_by_uid(self, user_id: str, template_id: str, template_data: dict[str, Any],
                             tracking_id: str, *, mode: str | None = None) -> str:
        """A ZBS template to an OA user id; returns `message_id`. `tracking_id` (ours, ≤ 48 characters) is
        sent as on the phone channel so a delivery event can name the message (§4.6 lists no such field:
        [UNCONFIRMED], Zalo ignores it if so); `mode="development"` for a pilot (§9.3)."""
        body = {"user_id": user_id, "template_id": template_id, "template_data": _strings(template_data),
                "tracking_id": tracking_id[:48], **_mode(mode)}
        data = self._post_openapi("/v3.0/oa/message/template", body)
        return str(data["message_id"])

    def send_template_by_phone(self, phone_84: str, template_id: str, template_data: dict[str, Any],
                               tracking_id: str, *, mode: str | None = None) -> str:
        """A ZBS template to a phone number in `84…` form; returns Zalo's `msg_id`. `mode="development"`
        sends only to the app's or the OA's administrators (§9.3; others: -127)."""
        body = {"phone": phone_84, "template_id": template_id, "template_data": _strings(template_data),
                "tracking_id": tracking_id[:48], **_mode(mode)}
        data = self._call("POST", f"{self._business}/message/template", json_body=body)
        return str(data["msg_id"])

    def template_info(self, template_id: str) -> dict[str, Any]:
        """What ZBS knows of a template (§9.6): `status` ("ENABLE"…), `listParams[] {name, require, type,
        maxLength, minLength, acceptNull}`, `listButtons`…"""
        return self._call("GET", f"{self._business}/template/info/v2", params={"template_id": template_id})

    def send_image(self, user_id: str, attachment_id: str) -> str:
        """A customer-service image (media template); `attachment_id` comes from `upload_image` (§4)."""
        element = {"media_type": "image", "attachment_id": attachment_id}
        body = {"recipient": {"user_id": user_id}, "message": {"attachment": {"type": "template", "payload": {
            "template_type": "media", "elements": [element]}}}}
        return str(self._post_openapi("/v3.0/oa/message/cs", body)["message_id"])

    def upload_image(self, filename: str, content: bytes) -> str:
        """Upload a JPG/PNG (≤ 1 MB) for an image message; returns the `attachment_id` (valid 7 days)."""
        files = {"file": (filename, content, _content_type(filename))}
        return str(self._call("POST", f"{self._openapi}/v2.0/oa/upload/image", files=files)["attachment_id"])

    def upload_file(self, filename: str, content: bytes) -> str:
        """Upload a PDF/DOC/DOCX (≤ 5 MB) for a file message; returns the token (valid 7 days)."""
        files = {"file": (filename, content, _content_type(filename))}
        return str(self._call("POST", f"{self._openapi}/v2.0/oa/upload/file", files=files)["token"])

    # --- users --------------------------------------------------------------------------------------------

    def user_detail(self, user_id: str) -> dict[str, Any]:
        """The user's profile as Zalo returns it (`display_name`, `user_is_follower`,
        `user_last_interaction_date` as DD/MM/YYYY, `shared_info` once the user shared it, ...)."""
        return self._call("GET", f"{self._openapi}/v3.0/oa/user/detail",
                          params={"data": json.dumps({"user_id": user_id})})

    def recent_messages(self, user_id: str, count: int = 10, offset: int = 0) -> list[dict[str, Any]]:
        """One page (at most 10) of the conversation with the user, newest first (`src` 0 = from the OA)."""
        query = {"user_id": user_id, "offset": offset, "count": count}
        data = self._call("GET", f"{self._openapi}/v2.0/oa/conversation", params={"data": json.dumps(query)})
        return [m for m in data.get("items", []) if isinstance(m, dict)]

    def messages_since(self, user_id: str, since_ms: float, *, max_pages: int = 10) -> list[dict[str, Any]]:
        """The conversation's messages from `since_ms` (epoch ms) on, newest first, paging back 10 at a time
        until an older message or the end; at most `max_pages` pages."""
        found: list[dict[str, Any]] = []
        for page in range(max_pages):
            items = self.recent_messages(user_id, count=10, offset=page * 10)
            found += [m for m in items if float(m.get("time") or 0) >= since_ms]
            if len(items) < 10 or any(float(m.get("time") or 0) < since_ms for m in items):
                break
        return found

    def last_interaction(self, user_id: str) -> datetime | None:
        """The user's last interaction with the OA to the millisecond (per-user quota call, §7)."""
        data = self._post_openapi("/v3.0/oa/quota/message", {"user_id": user_id})
        value = data.get("last_interaction")
        return from_epoch_ms(value) if value not in (None, "", "0", 0) else None

    # --- OAuth --------------------------------------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, code_challenge: str, state: str) -> str:
        """Where an OA admin grants the app (§3.2)."""
        query = urlencode({"app_id": self._app_id, "redirect_uri": redirect_uri,
                           "code_challenge": code_challenge, "state": state})
        return f"{self._oauth}/v4/oa/permission?{query}"

    def exchange_code(self, code: str, *, code_verifier: str | None = None) -> TokenPair:
        """Turn an authorization code into the first token pair and store it."""
        pair = self.pair_for_code(code, code_verifier=code_verifier)
        self._tokens.save(pair, now=self._now())
        return pair

    def pair_for_code(self, code: str, *, code_verifier: str | None = None) -> TokenPair:
        """The token pair for an authorization code (§3.3), not stored: the caller stores it."""
        form = {"code": code, "app_id": self._app_id, "grant_type": "authorization_code"}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token_request(form)

    def refresh_tokens(self) -> TokenPair:
        """Rotate the pair now (single-flight; the new pair is committed before it is returned)."""
        current = self._tokens.current()
        return self._refresh(stale=current.access_token if current else None)

    # --- plumbing -----------------------------------------------------------------------------------------

    def call_openapi(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One call to the OA host (`path` as `/v2.0/...`) with the token handling and error mapping of every
        call here; keyword arguments `json_body`, `params`, `files`. For the modules that add a family of
        endpoints without growing this file (articles.py)."""
        return self._call(method, f"{self._openapi}{path}", **kwargs)

    def _post_openapi(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"{self._openapi}{path}", json_body=body)

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        token = self._usable_access_token()
        try:
            return self._once(method, url, token, **kwargs)
        except ZaloTokenError as exc:
            log.info("zalo refused the access token (%s); refreshing once", exc.code)
        fresh = self._refresh(stale=token)
        return self._once(method, url, fresh.access_token, **kwargs)

    def _usable_access_token(self) -> str:
        pair = self._tokens.current()
        if pair is None:
            raise ZaloNotConnected("no Zalo access token: an OA admin must grant the app")
        now = self._now()
        if pair.access_expires_at - now > self._refresh_margin:
            return pair.access_token
        try:
            return self._refresh(stale=pair.access_token).access_token
        except ZaloError:
            if pair.access_expires_at > now:
                log.warning("proactive Zalo token refresh failed; the current token is still valid")
                return pair.access_token
            raise

    def _refresh(self, *, stale: str | None) -> TokenPair:
        def exchange(refresh_token: str) -> TokenPair:
            return self._token_request(
                {"refresh_token": refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"})

        try:
            return self._tokens.refresh(stale_access_token=stale, exchange=exchange, now=self._now())
        except (LookupError, ZaloTokenError) as exc:
            # Recorded on the connection by the store; the message waits for it (no attempt spent).
            raise ZaloNotConnected(str(exc)) from exc

    def _token_request(self, form: dict[str, str]) -> TokenPair:
        now = self._now()
        try:
            response = self._http.post(f"{self._oauth}/v4/oa/access_token", data=form,
                                       headers={"secret_key": self._app_secret}, timeout=self._timeout)
        except requests.RequestException as exc:
            # A lost answer may have consumed the single-use refresh token: an operator must check.
            log.error("zalo token request failed in transport: %s", type(exc).__name__)
            raise ZaloTokenError(f"token request failed: {type(exc).__name__}") from exc
        body = _json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            detail = body if isinstance(body, dict) else {}
            log.error("zalo refused the token request: %s %s", detail.get("error"), detail.get("error_name"))
            # An error body below 5xx is Zalo's refusal (§3.6); a 5xx or no JSON is a failure without an answer.
            refused = "error" in detail and response.status_code < 500
            raise (ZaloTokenRefused if refused else ZaloTokenError)(
                f"token request refused: {detail.get('error')} {detail.get('error_name') or ''} "
                f"{detail.get('error_reason') or ''}".strip(), http_status=response.status_code)
        return TokenPair(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            access_expires_at=utc(now) + timedelta(seconds=int(body.get("expires_in") or 3600)),
            refresh_expires_at=utc(now) + REFRESH_TOKEN_LIFETIME,
        )

    def _once(self, method: str, url: str, token: str, *, json_body: Any = None,
              params: dict[str, str] | None = None, files: Any = None) -> dict[str, Any]:
        try:
            response = self._http.request(method, url, headers={"access_token": token}, json=json_body,
                                          params=params, files=files, timeout=self._timeout)
        except requests.ConnectTimeout as exc:
            raise ZaloRetryable("connection timed out") from exc
        except requests.Timeout as exc:
            raise ZaloRetryable("no answer in time; the call may have taken effect",
                                outcome_unknown=True) from exc
        except requests.RequestException as exc:
            raise ZaloRetryable(f"transport failure: {type(exc).__name__}") from exc
        status = response.status_code
        if status >= 500 or status == 429:
            raise ZaloRetryable(f"HTTP {status}", http_status=status)
        body = _json_or_none(response)
        if status != 200:
            raise ZaloBadRequest(f"HTTP {status}", http_status=status)
        if not isinstance(body, dict):
            raise ZaloRetryable("answer is not a JSON object", http_status=status)
        code = int(body.get("error") or 0)
        if code != 0:
            raise error_for(code, str(body.get("message") or ""), now=self._now())
        data = body.get("data")
        if isinstance(data, list):  # list endpoints (conversation) answer a JSON array
            return {"items": data}
        return data if isinstance(data, dict) else {}


def make_pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for the authorization request (S256, as the official PHP SDK)."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _strings(data: dict[str, Any]) -> dict[str, str]:
    # Template parameters travel as strings (§9.7).
    return {key: "" if value is None else str(value) for key, value in data.items()}


def _mode(mode: str | None) -> dict[str, str]:
    # Only development is ever sent: production is Zalo's default when `mode` is absent (§9.1).
    return {"mode": "development"} if mode == "development" else {}


def is_image(filename: str) -> bool:
    """Sent as an image (upload/image, JPG/PNG), not as a file (upload/file takes PDF/DOC/DOCX only)."""
    return filename.lower().endswith((".png", ".jpg", ".jpeg"))


def _content_type(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".pdf"):
        return "application/pdf"
    if lower.endswith(".docx"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if lower.endswith(".doc"):
        return "application/msword"
    if lower.endswith(".png"):
        return "image/png"
    if lower.endswith((".jpg", ".jpeg")):
        return "image/jpeg"
    return "application/octet-stream"


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
