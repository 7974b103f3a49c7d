"""The content-addressed store: keys are checksums, writes are atomic, reads detect tampering, keys
cannot reach outside the directory, and the bytes on disk are encrypted."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from workflows.core.config import CryptoSettings
from workflows.documents.storage import MAGIC, FileStore, StorageError, StoredFileCorrupted
from workflows.privacy import PersonalDataCipher


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def test_put_and_open_round_trip(store: FileStore) -> None:
    content = "Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke".encode()
    stored = store.put(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.key == stored.sha256 and stored.size == len(content)
    assert store.open(stored.key) == content
    assert store.exists(stored.key)


def test_identical_content_is_kept_once(store: FileStore) -> None:
    first = store.put(b"%PDF-1.7 same bytes")
    second = store.put(b"%PDF-1.7 same bytes")
    other = store.put(b"%PDF-1.7 other bytes")
    assert first == second and other.key != first.key
    assert len(files_under(store.directory)) == 2


def test_tampered_file_is_detected_and_a_new_put_repairs_it(store: FileStore) -> None:
    stored = store.put(b"original content of the result")
    (path,) = files_under(store.directory)
    path.write_bytes(b"original content of the resulT")
    with pytest.raises(StoredFileCorrupted) as info:
        store.open(stored.key)
    assert info.value.status_code == 500 and "SHA-256" in info.value.detail
    store.put(b"original content of the result")
    assert store.open(stored.key) == b"original content of the result"


def test_missing_file_is_a_storage_error(store: FileStore) -> None:
    stored = store.put(b"soon gone")
    files_under(store.directory)[0].unlink()
    with pytest.raises(StorageError) as info:
        store.open(stored.key)
    assert info.value.error_code == "stored_file_missing"


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "/etc/passwd",
    "ab/../../" + "0" * 55,
    "A" * 64,
    "0" * 63,
    "0" * 64 + "\n",
    "",
])
def test_keys_that_are_not_checksums_are_refused(store: FileStore, key: str) -> None:
    with pytest.raises(ValueError):
        store.open(key)


def test_failed_write_leaves_no_partial_file(store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"never stored")
    assert files_under(store.directory) == []
    monkeypatch.undo()
    stored = store.put(b"stored after all")
    assert [p.name for p in files_under(store.directory)] == [stored.key]


def test_the_bytes_on_disk_are_encrypted_under_the_data_key(store: FileStore) -> None:
    content = b"%PDF-1.7 ... So CCCD: 008190012345, dien thoai 0912345678"
    stored = store.put(content)
    (path,) = files_under(store.directory)
    on_disk = path.read_bytes()
    assert on_disk.startswith(MAGIC) and b"008190012345" not in on_disk and b"%PDF" not in on_disk
    assert store.open(stored.key) == content
    other_key = PersonalDataCipher.from_settings(CryptoSettings(data_key="another-data-key-" + "x" * 32))  # type: ignore[arg-type]
    with pytest.raises(StoredFileCorrupted):
        FileStore(store.directory, other_key).open(stored.key)
    with pytest.raises(StoredFileCorrupted):
        FileStore(store.directory).open(stored.key)  # no key: the file does not open


def test_an_altered_encrypted_file_is_detected(store: FileStore) -> None:
    stored = store.put(b"result of the dossier")
    (path,) = files_under(store.directory)
    raw = bytearray(path.read_bytes())
    raw[len(MAGIC) + 40] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(StoredFileCorrupted):
        store.open(stored.key)


def test_a_file_stored_before_encryption_is_read_and_encrypted_when_stored_again(store: FileStore) -> None:
    content = b"%PDF-1.7 written by an earlier version"
    plain = FileStore(store.directory).put(content)  # no cipher: the bytes as they are
    (path,) = files_under(store.directory)
    assert path.read_bytes() == content
    assert store.open(plain.key) == content
    assert store.put(content) == plain
    assert path.read_bytes().startswith(MAGIC) and store.open(plain.key) == content
