"""The payload of one Zalo outbox message: what the domain writes through `enqueue` and `ZaloSender` reads.

The outbox stores it as JSON (`MessagePayload.to_dict()`); the sender reads it back with
`MessagePayload.from_dict()`, which refuses a payload that breaks this contract (`InvalidPayload`: the
relay dead-letters the row at once, with the reason, since no retry can fix it).

    {"event": "TIEP_NHAN",                      # which message this is; picks the template by event
     "text": "...",                             # the customer-service text (split at 2,000 characters)
     "attachment": {"document_id": "7", "filename": "mau-01.pdf",    # sent as a file or an image,
                    "url": "https://.../tra-cuu?ma=..."},              # else as this link (media.py)
     "template": {"ma_ho_so": "...", ...},      # the template's parameters (the fallback outside the window)
     "template_id": "...",                      # else the template of the event, else the default one
     "request_user_info": {"title": "...", "subtitle": "..."},       # ask the follower for the phone
     "sender": "..."}                           # who wrote it (an official's message); kept, never sent

Every key is optional; `to_dict` leaves out those at their default. Rows written before this module also
carry the template as `{"template_id": ..., "data": {<params>}}` or with `template_id` among the parameters;
both are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.outbox.errors import PermanentDelivery

# A template parameter is a name and a scalar (Zalo types each parameter; our values are strings).
TemplateValue = str | int | float
KEYS = frozenset({"event", "text", "attachment", "template", "template_id", "request_user_info", "sender"})


class InvalidPayload(PermanentDelivery):
    """A stored payload that breaks the contract above; the message names the key."""


@dataclass(frozen=True)
class Attachment:
    """A stored document sent with the text: `document_id` is the key the attachment loader opens;
    `filename` (optional) is the name the citizen sees, else the document's own; `url` (optional) is the
    page where the citizen opens it behind the second factor, sent instead when Zalo will not take the file
    (too large, or of another type: `connectors/zalo/uploads.py`). It must carry nothing personal."""

    document_id: str
    filename: str = ""
    url: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"document_id": self.document_id, "filename": self.filename}
        if self.url:
            out["url"] = self.url
        return out


@dataclass(frozen=True)
class UserInfoRequest:
    """Zalo's "share your information" card, sent after the text (title and subtitle as shown)."""

    title: str
    subtitle: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "subtitle": self.subtitle}


@dataclass(frozen=True)
class MessagePayload:
    """One message for one recipient. Without a `template` it can only go inside the interaction window."""

    event: str = ""
    text: str = ""
    attachment: Attachment | None = None
    template: Mapping[str, TemplateValue] | None = None
    template_id: str | None = None
    request_user_info: UserInfoRequest | None = None
    sender: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON stored in the outbox row (only the keys that are set)."""
        out: dict[str, Any] = {}
        if self.event:
            out["event"] = self.event
        if self.text:
            out["text"] = self.text
        if self.attachment is not None:
            out["attachment"] = self.attachment.to_dict()
        if self.template is not None:
            out["template"] = dict(self.template)
        if self.template_id:
            out["template_id"] = self.template_id
        if self.request_user_info is not None:
            out["request_user_info"] = self.request_user_info.to_dict()
        if self.sender:
            out["sender"] = self.sender
        return out

    @classmethod
    def from_dict(cls, raw: Any) -> MessagePayload:
        """Read a stored payload; `InvalidPayload` names what is wrong (an unknown key, a wrong type)."""
        if not isinstance(raw, Mapping):
            raise InvalidPayload(f"payload must be an object, not {type(raw).__name__}")
        unknown = sorted(str(key) for key in raw if key not in KEYS)
        if unknown:
            raise InvalidPayload(f"payload has unknown keys: {', '.join(unknown)}")
        template, template_id = _template(raw.get("template"))
        return cls(
            event=_text(raw, "event"),
            text=_text(raw, "text"),
            attachment=_attachment(raw.get("attachment")),
            template=template,
            template_id=template_id or _optional_text(raw, "template_id"),
            request_user_info=_user_info(raw.get("request_user_info")),
            sender=_optional_text(raw, "sender"),
        )


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidPayload(f"payload {key!r} must be a string, not {type(value).__name__}")
    return value


def _optional_text(raw: Mapping[str, Any], key: str) -> str | None:
    return _text(raw, key) or None


def _attachment(raw: Any) -> Attachment | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidPayload(f"payload 'attachment' must be an object, not {type(raw).__name__}")
    document_id = raw.get("document_id")
    # The domain stores a document's integer id; the loader takes it as text.
    if isinstance(document_id, bool) or not isinstance(document_id, (str, int)) or document_id == "":
        raise InvalidPayload("payload 'attachment' needs a 'document_id' (a string or an integer)")
    return Attachment(document_id=str(document_id), filename=_text(raw, "filename"), url=_text(raw, "url"))


def _template(raw: Any) -> tuple[dict[str, TemplateValue] | None, str | None]:
    """The parameters and the template id written inside the template (`{"template_id", "data"}` or a
    `template_id` among the parameters), if any."""
    if raw is None:
        return None, None
    if not isinstance(raw, Mapping):
        raise InvalidPayload(f"payload 'template' must be an object, not {type(raw).__name__}")
    template_id = _optional_text(raw, "template_id")
    data = raw.get("data") if isinstance(raw.get("data"), Mapping) else raw
    params: dict[str, TemplateValue] = {}
    for name, value in data.items():
        if name == "template_id":
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidPayload(f"template parameter {name!r} must be a string or a number")
        params[str(name)] = value
    return params, template_id


def _user_info(raw: Any) -> UserInfoRequest | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidPayload(f"payload 'request_user_info' must be an object, not {type(raw).__name__}")
    return UserInfoRequest(title=_text(raw, "title"), subtitle=_text(raw, "subtitle"))
