"""Files over HTTP: an upload read into what the domain takes (`Upload`), and the headers of a download:
`Content-Disposition` built by RFC 6266 and RFC 5987 whatever the name, and a Content-Type from the accepted
ones only."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from fastapi import UploadFile

from workflows.documents.service import ALLOWED_UPLOADS
from workflows.dossiers.files import Upload

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._()+-]+")


def read_upload(file: UploadFile, *, max_bytes: int) -> Upload:
    """The upload with at most `max_bytes` + 1 bytes of its content: one byte past the limit is read so that
    the domain can refuse it (413) without holding more. The request body itself was bounded, and on the
    upload routes the caller's token checked, before a byte of it was read (`api/bodylimit.py`)."""
    return Upload(filename=file.filename, declared_type=file.content_type, content=file.file.read(max_bytes + 1))


def attachment(filename: str) -> dict[str, str]:
    """`Content-Disposition: attachment` for `filename`: an ASCII fallback (accents dropped, quotes,
    backslashes, semicolons and other unsafe characters replaced by `_`) for old clients, and
    `filename*=UTF-8''…` percent-encoded with the real name. Header values must be Latin-1 (a Vietnamese
    name put there raw fails with UnicodeEncodeError), and a quote in a raw name would end the parameter
    and let the name inject others (`x"; filename*=UTF-8''evil.html; a=".pdf`)."""
    name = unicodedata.normalize("NFC", filename).strip() or "tep-dinh-kem"
    return {"Content-Disposition": f"attachment; filename=\"{ascii_fallback(name)}\"; "
                                   f"filename*=UTF-8''{quote(name, safe='')}"}


def ascii_fallback(filename: str) -> str:
    """'Giấy tiếp nhận "x".pdf' → 'Giay_tiep_nhan_x_.pdf': ASCII letters, digits and `._()+-` only."""
    decomposed = unicodedata.normalize("NFKD", filename.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    safe = _UNSAFE_ASCII.sub("_", plain).strip("._") or "tep-dinh-kem"
    return safe[-150:]  # the end keeps the extension


def download_type(stored: str) -> str:
    """The Content-Type to send for a stored document: one of the accepted types, else a plain byte
    stream (rows written before the type was read from the content hold what the client declared)."""
    media_type = stored.split(";")[0].strip().lower()
    return media_type if media_type in ALLOWED_UPLOADS else "application/octet-stream"
