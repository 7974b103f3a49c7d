"""Content-addressed file storage on local disk: a file's key is the SHA-256 of its bytes, so a stored file
is never changed in place, identical content is kept once, and every read can prove the bytes are intact.

Scans and rendered forms carry ID-card and phone numbers, so with a cipher (the wiring always gives one)
the bytes on disk are `MAGIC` + a Fernet token of the content under the data key. Files written before
encryption (no `MAGIC`) are still read, and written again encrypted when the same content is stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from workflows.core.errors import MotcuaError
from workflows.core.files import write_atomically

_KEY = re.compile(r"[0-9a-f]{64}")
MAGIC = b"MOTCUA-ENC1\n"  # what an encrypted file starts with (no PDF, image or office file does)


class BytesCipher(Protocol):
    def encrypt_bytes(self, plaintext: bytes) -> bytes: ...

    def decrypt_bytes(self, token: bytes) -> bytes: ...


class StorageError(MotcuaError):
    status_code = 500
    code = "storage_error"
    default_detail = "Không đọc được tệp đã lưu trữ."


class StoredFileCorrupted(StorageError):
    code = "stored_file_corrupted"
    default_detail = "Tệp đã lưu trữ bị thay đổi hoặc hư hỏng (mã kiểm tra không khớp)."


@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str
    size: int


class FileStore:
    """Files under `directory/<k[:2]>/<k[2:4]>/<k>`; built once from `Settings.storage.directory` and, for
    encryption at rest, the personal-data cipher."""

    def __init__(self, directory: Path, cipher: BytesCipher | None = None) -> None:
        self.directory = Path(directory)
        self._cipher = cipher

    def put(self, content: bytes) -> StoredFile:
        """Store `content` (atomically: temporary file, fsync, rename) unless an intact copy in the current
        form (encrypted when there is a cipher) is there."""
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if not self._intact(path, digest):  # a damaged or not yet encrypted copy is replaced
            stored = MAGIC + self._cipher.encrypt_bytes(content) if self._cipher else content
            write_atomically(path, stored)
        return StoredFile(key=digest, sha256=digest, size=len(content))

    def open(self, key: str) -> bytes:
        """The bytes stored under `key`; StoredFileCorrupted when they no longer hash to it (or no longer
        decrypt), StorageError when the file is gone, ValueError for a key that is not a SHA-256 hex digest."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"Không tìm thấy tệp đã lưu trữ {key[:12]}….",
                               code="stored_file_missing") from exc
        content = self._plain(raw)
        if content is None or hashlib.sha256(content).hexdigest() != key:
            raise StoredFileCorrupted(f"Tệp đã lưu trữ {key[:12]}… bị thay đổi hoặc hư hỏng (mã kiểm tra "
                                      "SHA-256 không khớp).")
        return content

    def erase(self, key: str) -> bool:
        """Remove the file stored under `key` (retention); False when there was none. The caller checks that
        no other document names the same content (identical files are kept once)."""
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _plain(self, raw: bytes) -> bytes | None:
        """The content of the bytes on disk; None when an encrypted file does not open."""
        if not raw.startswith(MAGIC):
            return raw  # written before encryption at rest
        if self._cipher is None:
            return None
        try:
            return self._cipher.decrypt_bytes(raw[len(MAGIC):])
        except ValueError:
            return None

    def _intact(self, path: Path, digest: str) -> bool:
        if not path.is_file():
            return False
        if self._cipher is None:
            return _sha256_of(path) == digest
        raw = path.read_bytes()
        content = self._plain(raw) if raw.startswith(MAGIC) else None
        return content is not None and hashlib.sha256(content).hexdigest() == digest

    def _path(self, key: str) -> Path:
        # Only a 64-character lowercase hex key reaches the file system: no separators, no "..".
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"invalid storage key: {key!r}")
        return self.directory / key[:2] / key[2:4] / key


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
