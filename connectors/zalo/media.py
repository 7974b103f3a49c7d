"""What a citizen sends in the chat besides text (ZALO_API.md §8.6): the attachments of a `user_send_*` event,
and fetching a photo from the URL Zalo gives (its CDN), bounded in size and time.

`message.attachments[]` holds `{"type": "image|file|audio|video|sticker|gif|link|location", "payload": …}`;
an image's payload has `url` and `thumbnail`, a location's `{"coordinates": {"latitude", "longitude"}}`
(both strings in the payloads logged by Chatwoot's integration, S-CW1/S-CW2 in ZALO_API.md §15).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # a phone photo Zalo recompressed is well under this
FETCH_TIMEOUT = 1.5  # seconds: the webhook must answer Zalo within 2 s (§8.3)
_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"GIF8": "image/gif"}


class MediaFetchError(Exception):
    """The photo could not be fetched, or is not an image within the limit; the message says why."""


@dataclass(frozen=True)
class Photo:
    url: str


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


def attachments_of(raw: dict[str, Any]) -> list[Photo | Location]:
    """The photos and locations of an event's `message.attachments` (anything else is left out)."""
    message = raw.get("message") if isinstance(raw.get("message"), dict) else {}
    items = message.get("attachments") if isinstance(message.get("attachments"), list) else []
    found: list[Photo | Location] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
            continue
        payload = item["payload"]
        if item.get("type") == "image" and isinstance(payload.get("url"), str) and payload["url"].startswith(
                ("https://", "http://")):
            found.append(Photo(url=payload["url"]))
        elif item.get("type") == "location" and isinstance(payload.get("coordinates"), dict):
            try:
                lat = float(payload["coordinates"]["latitude"])
                long = float(payload["coordinates"]["longitude"])
            except (KeyError, TypeError, ValueError):
                continue
            if -90 <= lat <= 90 and -180 <= long <= 180:
                found.append(Location(latitude=lat, longitude=long))
    return found


def fetch_photo(url: str, *, session: requests.Session | None = None, max_bytes: int = MAX_PHOTO_BYTES,
                timeout: float = FETCH_TIMEOUT) -> tuple[bytes, str]:
    """The photo's bytes and content type (JPEG, PNG or GIF, told by the bytes themselves, not the server's
    header). Raises `MediaFetchError` for a network error, a non-200 answer, more than `max_bytes`, or bytes
    that are no image. Reads at most `max_bytes + 1` bytes, whatever the server announces."""
    http = session or requests
    try:
        with http.get(url, stream=True, timeout=timeout, allow_redirects=False) as response:
            if response.status_code != 200:
                raise MediaFetchError(f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise MediaFetchError(f"ảnh quá lớn ({int(declared)} byte; tối đa {max_bytes})")
            content = bytearray()
            for chunk in response.iter_content(64 * 1024):
                content.extend(chunk)
                if len(content) > max_bytes:
                    raise MediaFetchError(f"ảnh quá lớn (trên {max_bytes} byte)")
    except requests.RequestException as exc:
        raise MediaFetchError(f"không tải được ảnh: {type(exc).__name__}") from exc
    kind = next((t for magic, t in _MAGIC.items() if content.startswith(magic)), None)
    if kind is None:
        raise MediaFetchError("tệp nhận được không phải ảnh JPG, PNG hoặc GIF")
    return bytes(content), kind
