"""Channel choice for one outbox message (DESIGN.md "Notifications", ZALO_API.md §4.8).

1. A linked Zalo user who interacted within the window (7 days; the first 48 h are free) and has not
   unfollowed the OA since (`zalo_user.unfollowed_at`) gets a customer-service message: the text (split
   at 2,000 characters) and each attachment its Zalo way (a file, an image, or a link to the document page
   when Zalo will not take it: uploads.py).
2. Otherwise a pre-approved ZBS template by user id, then by phone (`84…`). Templates carry no file; the
   payload's template data holds a CTA URL instead.
3. Otherwise the recipient is unreachable, with the reason.

The payload read here is `MessagePayload` (`connectors/zalo/payload.py`): a malformed one is dead-lettered
at once (`InvalidPayload`), before any call to Zalo.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.outbox.errors import ChannelUnavailable, DeliveryError, UnreachableRecipient
from connectors.outbox.models import tracking_id_for
from connectors.outbox.relay import OutgoingMessage, Recipient, SendResult, ensure_time_to_send
from connectors.timeutil import utc
from connectors.zalo import uploads
from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloBadRequest, ZaloRetryable, ZaloUnreachable
from connectors.zalo.payload import Attachment, MessagePayload, UserInfoRequest
from connectors.zalo.rules import CS_WINDOW_CLOSED
from connectors.zalo.sent import record_sent
from connectors.zalo.templates import TemplateBook
from connectors.zalo.users import get_user, last_interaction, record_user

log = logging.getLogger(__name__)

CS_TEXT_LIMIT = 2000
CS_WINDOW = timedelta(days=7)
FREE_WINDOW = timedelta(hours=48)

LoadAttachment = Callable[[str], tuple[str, bytes]]
Part = str | Attachment | UserInfoRequest  # one send: a text chunk, a file or image, the phone request card
# Prefix of a `last_error` line naming an attachment Zalo refused: "attachment_refused:<code>:<file>: <error>".
ATTACHMENT_REFUSED = "attachment_refused:"
# An attachment sent as a link to the document page instead (connectors/zalo/uploads.py):
# "attachment_linked:<file>: <why, in Vietnamese>".
ATTACHMENT_LINKED = "attachment_linked:"


class ZaloSender:
    def __init__(
        self, *, client: ZaloClient, db_engine: Engine, now: Callable[[], datetime],
        load_attachment: LoadAttachment,
        template_ids: Mapping[str, str] | None = None, default_template_id: str | None = None,
        cs_window: timedelta = CS_WINDOW, ask_zalo_for_interaction: bool = True,
        templates: TemplateBook | None = None, template_mode: str | None = None,
    ) -> None:
        """`templates`: the approved templates and their parameter mappings (else one built from
        `template_ids`, event name → template id, and `default_template_id`); `template_mode`
        "development" sends templates in Zalo's development mode (§9.3). `cs_window`: 7 days, or 48 h."""
        self._client = client
        self._engine = db_engine
        self._now = now
        self._load_attachment = load_attachment
        self._templates = templates or TemplateBook(default_template_id=default_template_id,
                                                    event_ids=template_ids)
        self._mode = template_mode
        self._cs_window = cs_window
        self._ask_zalo = ask_zalo_for_interaction

    def send(self, message: OutgoingMessage, recipient: Recipient) -> SendResult:
        payload = MessagePayload.from_dict(message.payload)
        reasons: list[str] = []
        uid = recipient.zalo_user_id
        unfollowed = bool(uid) and self._unfollowed(uid)  # no CS after an unfollow; templates may still go
        if uid and not unfollowed and self._in_window(uid):
            try:
                return self._send_cs(message, payload, uid)
            except ZaloUnreachable as exc:  # our interaction data was stale: fall back to a template
                reasons.append(f"cs: {exc.reason}")
        elif uid:
            reasons.append("cs: unfollowed" if unfollowed else "cs: outside_window")
        template = self._template(payload)
        if template is None:
            reasons.append("no template for this message")
        else:
            template_id, data = template
            tracking_id = tracking_id_for(message.idempotency_key)  # the one stored on the row
            if uid:
                try:
                    ensure_time_to_send(message, self._now())
                    provider_id = self._client.send_template_by_uid(uid, template_id, data, tracking_id,
                                                                      mode=self._mode)
                    self._remember(message, uid, provider_id)
                    return SendResult(channel_used="template_uid", provider_message_id=provider_id)
                except ZaloUnreachable as exc:
                    reasons.append(f"template_uid: {exc.reason}")
            if recipient.phone_84:
                try:
                    ensure_time_to_send(message, self._now())
                    provider_id = self._client.send_template_by_phone(
                        recipient.phone_84, template_id, data, tracking_id, mode=self._mode)
                    return SendResult(channel_used="template_phone", provider_message_id=provider_id)
                except ZaloUnreachable as exc:
                    reasons.append(f"template_phone: {exc.reason}")
        if not uid and not recipient.phone_84:
            reasons.append("no Zalo user linked and no phone")
        reason = _main_reason(uid, recipient.phone_84, reasons)
        detail = "; ".join(reasons)
        if any("outside_window" in r for r in reasons):  # the CS window is over and no template went
            detail = f"{CS_WINDOW_CLOSED} ({detail})"
            reason = "outside_window" if template is None else reason
        raise UnreachableRecipient(detail, reason=reason)

    # --- customer-service channel -------------------------------------------------------------------------

    def _send_cs(self, message: OutgoingMessage, payload: MessagePayload, user_id: str) -> SendResult:
        parts: list[Part] = list(split_text(payload.text))
        if payload.attachment is not None:
            parts.append(payload.attachment)
        if payload.request_user_info is not None:
            parts.append(payload.request_user_info)
        if not parts:
            raise ZaloBadRequest("message has neither text nor attachment")
        first_id: str | None = None
        refused: list[str] = []
        done = message.parts_done
        arrived = self._already_arrived(message, user_id)
        for part in parts[done:]:
            seen = arrived.pop(_part_key(part), None) if arrived else None
            if seen is None and arrived and isinstance(part, Attachment):  # it may have gone as its link
                seen = uploads.pop_link(arrived, part.filename)
            if seen is not None:  # the uncertain attempt did reach the citizen: do not send it twice
                self._remember(message, user_id, seen)
                first_id = first_id or seen
                done += 1
                continue
            try:
                if isinstance(part, str):
                    ensure_time_to_send(message, self._now())
                    provider_id = self._client.send_text(user_id, part)
                elif isinstance(part, UserInfoRequest):
                    ensure_time_to_send(message, self._now())
                    provider_id = self._client.send_request_user_info(user_id, part.title, part.subtitle)
                else:
                    provider_id = self._send_attachment(message, user_id, part, refused)
            except DeliveryError as exc:
                exc.parts_done = done
                raise
            self._remember(message, user_id, provider_id)
            first_id = first_id or provider_id
            done += 1
        return SendResult(channel_used="cs", provider_message_id=first_id, note="\n".join(refused) or None)

    def _send_attachment(self, message: OutgoingMessage, user_id: str, part: Attachment,
                         refused: list[str]) -> str | None:
        """Upload and send one file its Zalo way (`uploads.route_for`: a PDF/DOC/DOCX ≤ 5 MB as a file, a
        JPG/PNG ≤ 1 MB as an image). One Zalo will not take (too large, another type: decided before the
        upload, or answered by Zalo with -201/-210) goes as a text with the link to the document page
        (`part.url`), recorded as an `ATTACHMENT_LINKED` line; without a link it is skipped, not the whole
        message (an `ATTACHMENT_REFUSED` line). Either way the text still reaches the citizen, and the
        dossier shows the official what happened (the lines in the row's `last_error`)."""
        filename, content = self._load_attachment(part.document_id)
        filename = part.filename or filename
        route = uploads.route_for(filename, len(content))
        try:
            ensure_time_to_send(message, self._now())
            if route is uploads.Route.IMAGE:
                attachment_id = self._client.upload_image(filename, content)
                ensure_time_to_send(message, self._now())
                return self._client.send_image(user_id, attachment_id)
            if route is uploads.Route.FILE:
                token = self._client.upload_file(filename, content)
                ensure_time_to_send(message, self._now())
                return self._client.send_file(user_id, token)
        except ZaloBadRequest as exc:
            log.warning("outbox message %s: attachment refused by Zalo: %s", message.id, exc)
            if not (part.url and exc.code in uploads.UPLOAD_REFUSED):
                refused.append(f"{ATTACHMENT_REFUSED}{exc.code}:{filename}: {exc}")
                return None
            return self._send_link(message, user_id, part, filename, len(content), refused, zalo_code=exc.code)
        if not part.url:  # a row written before links: skipped, with the code Zalo would have answered
            code = -210 if uploads.is_supported_type(filename) else -201
            why = uploads.linked_reason(filename=filename, size=len(content), zalo_code=None)
            refused.append(f"{ATTACHMENT_REFUSED}{code}:{filename}: {why}")
            return None
        return self._send_link(message, user_id, part, filename, len(content), refused, zalo_code=None)

    def _send_link(self, message: OutgoingMessage, user_id: str, part: Attachment, filename: str, size: int,
                   refused: list[str], *, zalo_code: int | None) -> str:
        ensure_time_to_send(message, self._now())
        provider_id = self._client.send_text(user_id, uploads.link_text(filename=filename, size=size, url=part.url))
        reason = uploads.linked_reason(filename=filename, size=size, zalo_code=zalo_code)
        refused.append(f"{ATTACHMENT_LINKED}{filename}: {reason}")
        return provider_id

    def _remember(self, message: OutgoingMessage, user_id: str, provider_id: str | None) -> None:
        """Keep the id Zalo gave one part, so that its `oa_send_*` echo is known as ours, not an official's
        answer from the OA manager (`sent.py`)."""
        if not provider_id:
            return
        with Session(self._engine) as session:
            record_sent(session, msg_id=provider_id, user_id=user_id, outbox_message_id=message.id,
                        sent_at=self._now())
            session.commit()

    def _already_arrived(self, message: OutgoingMessage, user_id: str) -> dict[tuple[str, str], str]:
        """For an uncertain retry: the OA's messages to the user since the row was created, keyed like the
        parts, from Zalo's conversation; empty when Zalo cannot tell (then we send, at least once)."""
        if not message.uncertain:
            return {}
        since = (message.created_at.timestamp() * 1000 - 1000) if message.created_at else 0
        try:
            recent = self._client.messages_since(user_id, since)
        except (ZaloUnreachable, ZaloBadRequest):
            return {}  # Zalo will not tell: the send path decides (unreachable, template)
        except ChannelUnavailable:
            raise  # no token to ask with: the message waits for the connection, still uncertain
        except DeliveryError as exc:
            # Not now: retry later, still uncertain (the marker keeps the next claim checking first).
            unknown = ZaloRetryable(f"could not check what arrived; the earlier send may have taken effect: {exc}",
                                    code=getattr(exc, "code", None))
            unknown.nothing_sent = True  # checked before any send: Zalo's read failed, not this message
            raise unknown from exc
        arrived: dict[tuple[str, str], str] = {}
        for item in recent:
            if str(item.get("src")) == "0":
                key = (str(item.get("type") or "text"), str(item.get("message") or ""))
                arrived.setdefault(key, str(item.get("message_id") or ""))
        return arrived

    def _unfollowed(self, user_id: str) -> bool:
        """The user unfollowed the OA and has not followed again (`zalo_user.unfollowed_at`)."""
        with Session(self._engine) as session:
            user = get_user(session, user_id=user_id)
            return user is not None and user.unfollowed_at is not None

    def _in_window(self, user_id: str) -> bool:
        now = utc(self._now())
        with Session(self._engine) as session:
            known = last_interaction(get_user(session, user_id=user_id))
        if known is not None and now - known <= self._cs_window:
            return True
        if not self._ask_zalo:
            return False
        try:
            fresh = self._client.last_interaction(user_id)
        except (ZaloUnreachable, ZaloBadRequest) as exc:
            log.info("zalo has no interaction data for a user: %s", exc)
            return False
        if fresh is not None and (known is None or fresh > known):
            with Session(self._engine) as session:
                record_user(session, user_id=user_id, now=now, interacted_at=fresh)
                session.commit()
        return fresh is not None and now - fresh <= self._cs_window

    # --- templates ----------------------------------------------------------------------------------------

    def _template(self, payload: MessagePayload) -> tuple[str, dict[str, Any]] | None:
        if payload.template is None:
            return None
        return self._templates.resolve(event=payload.event, fields=payload.template, named=payload.template_id)


def _part_key(part: Part) -> tuple[str, str]:
    """How a part shows in the conversation: a text by its text, a file by its file name."""
    if isinstance(part, str):
        return ("text", part)
    if isinstance(part, Attachment):
        return ("file", part.filename)
    return ("request_user_info", part.title)


def split_text(text: str, limit: int = CS_TEXT_LIMIT) -> list[str]:
    """NFC-normalised text in chunks of at most `limit` characters, cut at a line break or a space."""
    text = unicodedata.normalize("NFC", text).strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def _main_reason(uid: str | None, phone: str | None, reasons: list[str]) -> str:
    if not uid and not phone:
        return "no_contact"
    last = reasons[-1] if reasons else ""
    return last.split(": ", 1)[1] if ": " in last else (last.replace(" ", "_") or "unreachable")
