"""How one attachment travels to a citizen in Zalo: as a file, as an image, or as a link (ZALO_API.md §5, §4.3).

Zalo's OA upload APIs take (§5; official PHP SDK `API_OA_UPLOAD_FILE` / `API_OA_UPLOAD_PHOTO`, Chatwoot's
Zalo channel `FILE_LIMIT` / `IMAGE_LIMIT`):

    upload/file   PDF, DOC, DOCX up to 5 MB  → `data.token`, sent as a file message
    upload/image  JPG, PNG up to 1 MB        → `data.attachment_id`, sent in a media template

Images do not go through upload/file (it takes documents only), so a JPG or PNG over 1 MB has no Zalo way.
Anything Zalo will not take (too large, or of another type) goes as a link to the dossier's page on our
site, where the citizen opens the document after typing the second factor (`/tra-cuu?ma=<dossier code>`:
the code only, nothing personal). The decision is made before any upload, from the name and the size; if
Zalo refuses the upload anyway (its limit lowered, a type it reads differently), the sender takes the same
link way (`UPLOAD_REFUSED`), so the message is never dead for its attachment.

"MB" is taken as 1,048,576 bytes, as Chatwoot's `1.megabyte` and the emulator.
"""

from __future__ import annotations

import unicodedata
from collections.abc import MutableMapping
from enum import StrEnum

MB = 1024 * 1024
FILE_TYPES = (".pdf", ".doc", ".docx")
IMAGE_TYPES = (".jpg", ".jpeg", ".png")
FILE_MAX_BYTES = 5 * MB
IMAGE_MAX_BYTES = 1 * MB
# Zalo's answers to an upload it will not take (ZALO_API.md §10.1): -201 "<field> is invalid!" (a type it
# does not accept) and -210 "Parameter exceeds allowable limit" (over the size limit).
UPLOAD_REFUSED = frozenset({-201, -210})
# What the citizen types on the page to open the document (the lookup's second factor, api/web).
SECOND_FACTOR_HINT = "4 chữ số cuối số điện thoại hoặc CCCD/CMND của người nộp hồ sơ"
ACCEPTED = "Zalo chỉ nhận tệp PDF, DOC, DOCX đến 5 MB và ảnh JPG, PNG đến 1 MB"


class Route(StrEnum):
    FILE = "file"  # upload/file, then a file message
    IMAGE = "image"  # upload/image, then a media template
    LINK = "link"  # a text with the link to the document page


def route_for(filename: str, size: int) -> Route:
    """The way an attachment of `size` bytes named `filename` goes (by its extension, as Zalo decides)."""
    name = filename.lower()
    if name.endswith(IMAGE_TYPES):
        return Route.IMAGE if size <= IMAGE_MAX_BYTES else Route.LINK
    if name.endswith(FILE_TYPES):
        return Route.FILE if size <= FILE_MAX_BYTES else Route.LINK
    return Route.LINK


def is_supported_type(filename: str) -> bool:
    """A type Zalo takes at some size (a refusal of another type is not about its size)."""
    return filename.lower().endswith(FILE_TYPES + IMAGE_TYPES)


def megabytes(size: int) -> str:
    """`12,0 MB`: one decimal, with the Vietnamese decimal comma."""
    return f"{size / MB:.1f}".replace(".", ",") + " MB"


def link_text(*, filename: str, size: int, url: str) -> str:
    """What the citizen reads in place of the file: why it is not in the chat, and how to open it."""
    why = (f"quá lớn để gửi qua Zalo ({ACCEPTED})" if is_supported_type(filename)
           else f"không gửi được qua Zalo vì Zalo không nhận loại tệp này ({ACCEPTED})")
    text = (f"Tệp «{filename}» ({megabytes(size)}) {why}. Để xem và tải tệp, Ông/Bà mở liên kết sau, "
            f"nhập {SECOND_FACTOR_HINT} rồi bấm Tra cứu: {url}")
    return unicodedata.normalize("NFC", text)


def linked_reason(*, filename: str, size: int, zalo_code: int | None) -> str:
    """Why a file went as a link, for the official (`ATTACHMENT_LINKED` lines of the outbox row)."""
    if zalo_code is not None:
        return f"Zalo từ chối tệp (mã {zalo_code})"
    if not is_supported_type(filename):
        return "Zalo không nhận loại tệp này"
    limit = "1 MB" if filename.lower().endswith(IMAGE_TYPES) else "5 MB"
    return f"tệp {megabytes(size)}, lớn hơn giới hạn {limit} của Zalo"


def pop_link(arrived: MutableMapping[tuple[str, str], str], filename: str) -> str | None:
    """For an uncertain retry: the message id of the link text of `filename` among the OA's messages that
    already arrived (keyed `(type, text)`), taken out of `arrived`; None when it is not there."""
    if not filename:
        return None
    start = unicodedata.normalize("NFC", f"Tệp «{filename}» (")
    for key in list(arrived):
        if key[0] == "text" and key[1].startswith(start):
            return arrived.pop(key)
    return None
