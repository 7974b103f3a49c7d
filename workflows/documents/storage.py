"""Content-addressed file storage on local disk: a file's key is the SHA-256 of its bytes, so a stored file
is never changed in place, identical content is kept once, and every read can prove the bytes are intact."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from workflows.core.errors import MotcuaError

_KEY = re.compile(r"[0-9a-f]{64}")


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
    """Files under `directory/<k[:2]>/<k[2:4]>/<k>`; built once from `Settings.storage.directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def put(self, content: bytes) -> StoredFile:
        """Store `content` (atomically: temporary file, fsync, rename) unless an intact copy is there."""
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if not (path.exists() and _sha256_of(path) == digest):  # a damaged copy is replaced
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return StoredFile(key=digest, sha256=digest, size=len(content))

    def open(self, key: str) -> bytes:
        """The bytes stored under `key`; StoredFileCorrupted when they no longer hash to it, StorageError
        when the file is gone, ValueError for a key that is not a SHA-256 hex digest."""
        path = self._path(key)
        try:
            content = path.read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"Không tìm thấy tệp đã lưu trữ {key[:12]}….",
                               code="stored_file_missing") from exc
        if hashlib.sha256(content).hexdigest() != key:
            raise StoredFileCorrupted(f"Tệp đã lưu trữ {key[:12]}… bị thay đổi hoặc hư hỏng (mã kiểm tra "
                                      "SHA-256 không khớp).")
        return content

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

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
