"""The emulator's in-memory world: users, tokens, uploads, inboxes, templates, faults. Thread-safe (one lock).

Rules modelled (ZALO_API.md): CS messages only within 7 days of the user's last interaction (free within
48 h), text ≤ 2,000 characters; ZBS templates by UID for users who interacted within a year (configurable;
the real rule is unconfirmed), by phone for any Zalo account with that number; uploads kept 7 days; access
tokens 25 h; refresh tokens single-use, rotated on every refresh, 3 months; 4,000 calls per minute.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.timeutil import to_epoch_ms, utc
from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.templates import SEED_TEMPLATES, Template, render
from connectors.zalo.emulator.upload_limits import MediaLimits, check_file, check_image

# The real code for a used/expired refresh token is undocumented (§3.6): this one is ours.
INVALID_GRANT = -14014
_VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOT_INTERACTED = "User has not interacted with the OA, or the last interaction has expired"
FAULT_KINDS = ("http_500", "timeout", "rate_limit", "token_expired", "timeout_after_send")


@dataclass
class EmuUser:
    user_id: str
    user_id_by_app: str
    phone: str
    display_name: str
    followed: bool = False
    last_interaction_at: datetime | None = None
    shared_info: dict[str, Any] | None = None
    inbox: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Upload:
    token: str
    filename: str
    content: bytes
    content_type: str
    uploaded_at: datetime
    kind: str = "file"  # "file" (upload/file: a token) | "image" (upload/image: an attachment_id)


@dataclass
class FaultPlan:
    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    def draw(self) -> str | None:
        if not self.kinds or self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.kinds)


class EmulatorState:
    def __init__(
        self, *, app_id: str, app_secret: str, oa_secret_key: str, oa_id: str, now: Callable[[], datetime],
        templates: tuple[Template, ...] = SEED_TEMPLATES, access_ttl: timedelta = timedelta(hours=25),
        refresh_ttl: timedelta = timedelta(days=90), cs_window: timedelta = timedelta(days=7),
        free_window: timedelta = timedelta(hours=48), uid_template_window: timedelta = timedelta(days=365),
        rate_limit_per_minute: int = 4000, fault_timeout_seconds: float = 20.0, seed: int | None = None,
    ) -> None:
        self.app_id, self.app_secret, self.oa_id = app_id, app_secret, oa_id
        self.oa_secret_key = oa_secret_key
        self.now = now
        self.templates = {t.template_id: t for t in templates}
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl
        self.cs_window, self.free_window = cs_window, free_window
        self.uid_template_window = uid_template_window
        self.rate_limit_per_minute = rate_limit_per_minute
        self.fault_timeout_seconds = fault_timeout_seconds
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self.users: dict[str, EmuUser] = {}
        self.by_phone: dict[str, str] = {}
        self.uploads: dict[str, Upload] = {}
        self.media_limits = MediaLimits()  # upload/image and upload/file (upload_limits.py)
        self.access_tokens: dict[str, datetime] = {}
        self.refresh_tokens: dict[str, tuple[datetime, bool]] = {}  # token → (expires, used)
        self.auth_codes: dict[str, tuple[datetime, str | None]] = {}  # code → (expires, challenge)
        self.faults = FaultPlan()
        self.stats = {"calls": 0, "refreshes": 0, "faults": 0, "messages": 0}
        self._minute: tuple[int, int] = (0, 0)

    # --- ids, faults, rate limit --------------------------------------------------------------------------

    def _id(self, digits: int = 19) -> str:
        return str(self._rng.randrange(10 ** (digits - 1), 10 ** digits))

    def _hex_id(self) -> str:
        return f"{self._rng.getrandbits(80):020x}"

    def new_message_id(self) -> str:
        with self.lock:
            return self._hex_id()

    def set_faults(self, *, rate: float, kinds: list[str], seed: int | None) -> FaultPlan:
        unknown = [k for k in kinds if k not in FAULT_KINDS and not re.fullmatch(r"error:-\d+", k)]
        if unknown or not 0 <= rate <= 1:
            raise ValueError(f"bad fault plan: rate in [0, 1], kinds from {FAULT_KINDS} or 'error:<code>'")
        with self.lock:
            self.faults = FaultPlan(rate=rate, kinds=tuple(kinds), seed=seed, rng=random.Random(seed))
            return self.faults

    def draw_fault(self) -> str | None:
        with self.lock:
            self.stats["calls"] += 1
            fault = self.faults.draw()
            if fault:
                self.stats["faults"] += 1
            return fault

    def count_call(self) -> None:
        """The application rate limit: -32 past `rate_limit_per_minute` calls in a clock minute."""
        with self.lock:
            minute = int(utc(self.now()).timestamp() // 60)
            count = self._minute[1] + 1 if self._minute[0] == minute else 1
            self._minute = (minute, count)
            if count > self.rate_limit_per_minute:
                raise EmuError(-32, "Your application reached limit call api")

    # --- OAuth --------------------------------------------------------------------------------------------

    def issue_authorization_code(self, code_challenge: str | None = None) -> str:
        """What the consent screen yields: a single-use code valid 10 minutes."""
        with self.lock:
            code = secrets.token_urlsafe(24)
            self.auth_codes[code] = (utc(self.now()) + timedelta(minutes=10), code_challenge)
            return code

    def token_grant(self, *, secret_key: str | None, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint: flat body on success, {error, error_name, error_reason} on failure."""
        with self.lock:
            now = utc(self.now())
            if form.get("app_id") != self.app_id:
                return _oauth_error(-14002, "Invalid appId", "app_id is invalid or not active")
            if secret_key != self.app_secret:
                return _oauth_error(-14001, "Invalid secret key", "secret_key header is invalid")
            grant = form.get("grant_type")
            if grant == "refresh_token":
                entry = self.refresh_tokens.get(form.get("refresh_token") or "")
                if entry is None or entry[1] or entry[0] <= now:
                    return _oauth_error(INVALID_GRANT, "Invalid refresh token",
                                        "refresh_token is invalid, expired or already used")
                self.refresh_tokens[form["refresh_token"]] = (entry[0], True)
                self.stats["refreshes"] += 1
            elif grant == "authorization_code":
                code = self.auth_codes.pop(form.get("code") or "", None)
                if code is None or code[0] <= now:
                    return _oauth_error(-14019, "Invalid code", "authorization code is invalid or expired")
                verifier = form.get("code_verifier")
                if code[1] and (not verifier or _challenge(verifier) != code[1]):
                    return _oauth_error(-14020, "Invalid code verifier", "code_verifier does not match")
            else:
                return _oauth_error(-14003, "Invalid grant type", "grant_type is invalid")
            access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
            self.access_tokens[access] = now + self.access_ttl
            self.refresh_tokens[refresh] = (now + self.refresh_ttl, False)
            return {"access_token": access, "refresh_token": refresh,
                    "expires_in": str(int(self.access_ttl.total_seconds()))}

    def check_access_token(self, token: str | None, *, business: bool) -> None:
        with self.lock:
            expires = self.access_tokens.get(token or "")
            if expires is None:
                raise EmuError(-124, "Access token is invalid") if business else EmuError(
                    -216, "Access token is invalid")
            if expires <= utc(self.now()):
                raise EmuError(-124, "Access token is invalid") if business else EmuError(
                    -220, "access_token is expired or removed")

    def revoke_access_token(self, token: str | None) -> None:
        with self.lock:
            self.access_tokens.pop(token or "", None)

    # --- users (the phone side) ---------------------------------------------------------------------------

    def create_user(self, *, phone: str | None = None, display_name: str | None = None) -> EmuUser:
        with self.lock:
            phone = phone or "849" + self._id(8)
            if not re.fullmatch(r"84\d{9,10}", phone):
                raise ValueError("phone must be 84 followed by 9-10 digits")
            if phone in self.by_phone:
                raise ValueError("a Zalo account already holds this phone")
            user = EmuUser(user_id=self._id(), user_id_by_app=self._id(), phone=phone,
                           display_name=display_name or f"Người dùng {phone[-4:]}")
            self.users[user.user_id] = user
            self.by_phone[phone] = user.user_id
            return user

    def user(self, user_id: str) -> EmuUser:
        with self.lock:
            user = self.users.get(str(user_id))
            if user is None:
                raise EmuError(-201, "user_id is invalid!")
            return user

    def interact(self, user_id: str, *, follow: bool | None = None,
                 shared: dict[str, Any] | None = None) -> EmuUser:
        with self.lock:
            user = self.user(user_id)
            if follow is not None:
                user.followed = follow
            if follow is not False:  # unfollowing is not an interaction
                user.last_interaction_at = utc(self.now())
            if shared is not None:
                user.shared_info = shared
            return user

    def inbox(self, *, user_id: str | None, phone: str | None) -> EmuUser:
        with self.lock:
            uid = user_id or self.by_phone.get(phone or "")
            if not uid or uid not in self.users:
                raise KeyError("no such Zalo user")
            return self.users[uid]

    # --- OA API -------------------------------------------------------------------------------------------

    def send_cs(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
            user = self.user(str(recipient.get("user_id") or ""))
            message = body.get("message") if isinstance(body.get("message"), dict) else {}
            entry = self._cs_entry(message)
            now = utc(self.now())
            last = user.last_interaction_at
            if last is None:
                raise EmuError(-232, NOT_INTERACTED)
            if now - last > self.cs_window:
                raise EmuError(-230, "User has not interacted with the OA in the past 7 days")
            data: dict[str, Any] = {"message_id": self._hex_id(), "user_id": user.user_id,
                                    "sent_time": to_epoch_ms(now)}
            if now - last <= self.free_window:
                data["quota"] = {"quota_type": "reply", "remain": "8", "total": "8"}
            self._deliver(user, entry | {"channel": "cs", "billed": "quota" not in data}, data["message_id"])
            return data

    def _cs_entry(self, message: dict[str, Any]) -> dict[str, Any]:
        attachment = message.get("attachment")
        if isinstance(attachment, dict) and attachment.get("type") == "file":
            token = str((attachment.get("payload") or {}).get("token") or "")
            upload = self.uploads.get(token)
            if upload is None or upload.kind != "file":
                raise EmuError(-201, "token is invalid!")
            if utc(self.now()) - upload.uploaded_at > timedelta(days=7):
                raise EmuError(-100, "attachment_id was expired")
            return {"type": "file", "text": message.get("text"),
                    "file": {"token": token, "filename": upload.filename, "size": len(upload.content)}}
        if isinstance(attachment, dict) and attachment.get("type") == "template" and (
                (attachment.get("payload") or {}).get("template_type") == "media"):
            return self._image_entry(message, attachment["payload"])
        if isinstance(attachment, dict) and attachment.get("type") == "template":
            payload = attachment.get("payload") or {}
            elements = payload.get("elements") or []
            if payload.get("template_type") != "request_user_info" or len(elements) != 1:
                raise EmuError(-233, "message type is invalid or not support")
            element = elements[0]
            title, subtitle = str(element.get("title") or ""), str(element.get("subtitle") or "")
            if not title or len(title) > 100 or len(subtitle) > 500:
                raise EmuError(-201, "elements is invalid!")
            return {"type": "request_user_info", "title": title, "subtitle": subtitle}
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            raise EmuError(-201, "message is invalid!")
        if len(unicodedata.normalize("NFC", text)) > 2000:
            raise EmuError(-201, "text is invalid!")
        return {"type": "text", "text": text}

    def _image_entry(self, message: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        elements = payload.get("elements") or []
        element = elements[0] if len(elements) == 1 and isinstance(elements[0], dict) else {}
        if element.get("media_type") != "image":
            raise EmuError(-201, "elements is invalid!")
        attachment_id = str(element.get("attachment_id") or "")
        upload = self.uploads.get(attachment_id)
        if upload is None or upload.kind != "image":
            raise EmuError(-201, "attachment_id is invalid!")
        if utc(self.now()) - upload.uploaded_at > timedelta(days=7):
            raise EmuError(-100, "attachment_id was expired")
        return {"type": "image", "text": message.get("text"),
                "file": {"token": attachment_id, "filename": upload.filename, "size": len(upload.content)}}

    def send_template(self, *, template_id: str, data: Any, user_id: str | None = None,
                      phone: str | None = None) -> dict[str, Any]:
        with self.lock:
            now = utc(self.now())
            if phone is not None:
                phone = phone.removeprefix("+")
                if not re.fullmatch(r"84\d{9,10}", phone):
                    raise EmuError(-108, "Phone number is invalid")
                uid = self.by_phone.get(phone)
                if uid is None:
                    raise EmuError(-118, "Zalo account does not exist or is deactivated")
                user = self.users[uid]
            else:
                user = self.user(str(user_id or ""))
            template = self.templates.get(str(template_id))
            if template is None:
                raise EmuError(-109, "Template id is invalid")
            if template.status != "ENABLE":
                raise EmuError(-131, "Template has not been approved")
            text = render(template, data)
            if phone is None:
                if not template.uid_allowed:
                    raise EmuError(-249, "Template does not support send via UID")
                last = user.last_interaction_at
                if last is None or now - last > self.uid_template_window:
                    raise EmuError(-232, NOT_INTERACTED)
            message_id = self._hex_id()
            channel = "template_phone" if phone is not None else "template_uid"
            self._deliver(user, {"type": "template", "channel": channel, "template_id": template.template_id,
                                 "template_data": dict(data), "text": text}, message_id)
            if phone is not None:
                return {"msg_id": message_id, "sent_time": to_epoch_ms(now), "sending_mode": "1",
                        "quota": {"dailyQuota": "500", "remainingQuota": "499"}}
            return {"message_id": message_id, "user_id": user.user_id, "sent_time": to_epoch_ms(now),
                    "quota": {"quota_type": "purchase_quota", "remain": 4821}}

    def upload_image(self, *, filename: str, content: bytes, content_type: str) -> dict[str, Any]:
        """`upload/image`: JPG/PNG up to 1 MB; the `attachment_id` is usable for 7 days."""
        with self.lock:
            check_image(self.media_limits, filename, content)
            attachment_id = secrets.token_urlsafe(24)
            self.uploads[attachment_id] = Upload(attachment_id, filename, content, content_type,
                                                 utc(self.now()), kind="image")
            return {"attachment_id": attachment_id}

    def upload(self, *, filename: str, content: bytes, content_type: str) -> dict[str, Any]:
        with self.lock:
            check_file(self.media_limits, filename, content)
            token = secrets.token_urlsafe(24)
            self.uploads[token] = Upload(token, filename, content, content_type, utc(self.now()))
            return {"token": token}

    def user_detail(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            user = self.user(user_id)
            last = user.last_interaction_at
            detail: dict[str, Any] = {
                "user_id": user.user_id, "user_id_by_app": user.user_id_by_app,
                "display_name": user.display_name,
                "user_alias": "", "is_sensitive": False, "user_is_follower": user.followed,
                "user_last_interaction_date": last.astimezone(_VN).strftime("%d/%m/%Y") if last else "",
                "avatar": "", "avatars": {},
                "tags_and_notes_info": {"notes": [], "tag_names": []},
            }
            if user.shared_info:
                detail["shared_info"] = dict(user.shared_info)
            return detail

    def user_quota(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            user = self.user(user_id)
            last = user.last_interaction_at
            return {"last_interaction": to_epoch_ms(last) if last else "0",
                    "cs_reply": {"remain": 8, "total": 8},
                    "promotion": {"daily_remain": 0, "daily_total": 1, "monthly_remain": 4,
                                  "monthly_total": 6}}

    def conversation(self, user_id: str, *, offset: int, count: int) -> list[dict[str, Any]]:
        """The OA's recent messages to the user, newest first (v2 `conversation`, at most 10 a call)."""
        with self.lock:
            user = self.user(user_id)
            newest_first = list(reversed(user.inbox))[max(0, offset): max(0, offset) + min(max(count, 0), 10)]
            return [{"message_id": m["message_id"], "src": 0, "type": m.get("type", "text"),
                     "time": to_epoch_ms(datetime.fromisoformat(m["sent_at"])),
                     "message": m.get("text") or (m.get("file") or {}).get("filename", ""),
                     "from_id": self.oa_id, "to_id": user.user_id} for m in newest_first]

    def _deliver(self, user: EmuUser, entry: dict[str, Any], message_id: str) -> None:
        user.inbox.append({"message_id": message_id, "sent_at": utc(self.now()).isoformat()} | entry)
        self.stats["messages"] += 1


def _oauth_error(code: int, name: str, reason: str) -> dict[str, Any]:
    return {"error": code, "error_name": name, "error_reason": reason, "ref_doc": ""}


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()

