"""Backup and restore of a centre: the database and the encrypted file store, with a manifest of hashes.

`backup(to=DIR)` writes, in this order:
1. the database — PostgreSQL: `pg_dump --format=custom` by the binary of the server's major version
   (`/usr/lib/postgresql/<major>/bin`, else the one on PATH), a consistent snapshot of one transaction;
   SQLite: SQLite's online backup API (a consistent copy while the server writes);
2. the file store, copied as it is on disk (still encrypted: the backup holds no readable scan), after the
   dump — files are content-addressed and written before the row that names them commits, so every file a
   dumped row names is already there (files written later are copied too, harmlessly);
3. `manifest.json`: format, time, backend, schema revision, and the SHA-256 and size of the dump and of
   every file, so a restore proves the copy intact before it touches anything.

`restore(from_=DIR)` checks every hash, refuses a database that has any table (restore goes into an empty
one), loads the dump (`pg_restore --exit-on-error --single-transaction`, or the SQLite backup API), copies the
files into the store and then opens every document the database names with the configured data key, so it
ends only when each one is readable. The data key (`MOTCUA_CRYPTO__DATA_KEY`) is not in the backup: keep it
apart (a backup with its key is a leak; without it, the files are unreadable to anyone).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlmodel import Session, select

from workflows.core.errors import MotcuaError
from workflows.documents.models import ERASED, DossierDocument
from workflows.documents.storage import FileStore, StorageError

FORMAT = "motcua-backup-1"
MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
FILES_DIR = "files"


class BackupError(MotcuaError):
    status_code = 500
    code = "backup_failed"
    default_detail = "Sao lưu hoặc khôi phục không thành công."


@dataclass
class Manifest:
    format: str
    created_at: str
    backend: str
    revision: str | None
    database: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: int = 0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1, sort_keys=True)


@dataclass(frozen=True)
class RestoreReport:
    backend: str
    revision: str | None
    files: int
    documents_readable: int


def backup(*, db: Engine, store: FileStore, to: Path, now: datetime) -> Manifest:
    """Write a backup of `db` and `store` into the new or empty directory `to` (see the module)."""
    to = Path(to)
    if to.exists() and any(to.iterdir()):
        raise BackupError(f"Thư mục sao lưu {to} đã có dữ liệu; hãy chọn một thư mục mới hoặc rỗng.",
                          code="backup_target_not_empty")
    to.mkdir(parents=True, exist_ok=True)
    url = db.url
    revision = _revision(db)
    with Session(db) as session:
        documents = len(session.exec(select(DossierDocument.id)).all())
    if url.get_backend_name() == "sqlite":
        target = to / SQLITE_FILE
        _sqlite_copy(Path(str(url.database)), target)
    else:
        target = to / PG_DUMP_FILE
        _run([str(_pg_binary(db, "pg_dump")), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={target}", _libpq(url)], env=_pg_env(url), what="pg_dump")
    manifest = Manifest(format=FORMAT, created_at=now.isoformat(), backend=url.get_backend_name(),
                        revision=revision, database={"file": target.name, **_digest(target)}, documents=documents)
    files = to / FILES_DIR
    files.mkdir()
    source = store.directory
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if not path.is_file() or path.name.startswith(".tmp-"):
                continue  # a write in progress: its file is renamed into place when complete
            relative = path.relative_to(source).as_posix()
            copy = files / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
            manifest.files[relative] = _digest(copy)
    (to / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> Manifest:
    """The manifest of the backup in `source`, after checking the hash of the dump and of every file."""
    path = Path(source) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"Không đọc được {path}: thư mục không phải bản sao lưu của hệ thống.",
                          code="backup_manifest_unreadable") from exc
    if data.get("format") != FORMAT:
        raise BackupError(f"Bản sao lưu có định dạng {data.get('format')!r}, không phải {FORMAT}.",
                          code="backup_format_unknown")
    manifest = Manifest(**data)
    checks = [(Path(source) / manifest.database["file"], manifest.database)]
    checks += [(Path(source) / FILES_DIR / name, entry) for name, entry in manifest.files.items()]
    for file, entry in checks:
        if not file.is_file() or _digest(file) != {"sha256": entry["sha256"], "size": entry["size"]}:
            raise BackupError(f"Tệp {file} của bản sao lưu bị thiếu hoặc hư hỏng (mã kiểm tra SHA-256 không "
                              "khớp với manifest.json).", code="backup_corrupted")
    return manifest


def restore(*, db: Engine, store: FileStore, from_: Path) -> RestoreReport:
    """Restore the backup in `from_` into the empty database `db` and the store (see the module); every
    document the restored database names is opened (decrypted and hash-checked) before this returns."""
    source = Path(from_)
    manifest = read_manifest(source)
    backend = db.url.get_backend_name()
    if backend != manifest.backend:
        raise BackupError(f"Bản sao lưu là của {manifest.backend}, cơ sở dữ liệu đích là {backend}.",
                          code="backup_backend_mismatch")
    tables = sa.inspect(db).get_table_names()
    if tables:
        raise BackupError(f"Cơ sở dữ liệu đích đã có {len(tables)} bảng; chỉ khôi phục vào cơ sở dữ liệu rỗng.",
                          code="restore_target_not_empty")
    dump = source / manifest.database["file"]
    if backend == "sqlite":
        db.dispose()
        _sqlite_copy(dump, Path(str(db.url.database)))
    else:
        _run([str(_pg_binary(db, "pg_restore")), "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={_libpq(db.url)}", str(dump)], env=_pg_env(db.url),
             what="pg_restore")
    for name in manifest.files:
        target = store.directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source / FILES_DIR / name, target)
    readable = 0
    with Session(db) as session:
        for document in session.exec(select(DossierDocument).where(DossierDocument.storage_key != ERASED)).all():
            try:
                store.open(document.storage_key)
            except (StorageError, ValueError) as exc:
                raise BackupError(f"Tệp {document.filename!r} của hồ sơ {document.dossier_code} không đọc được "
                                  f"sau khi khôi phục ({exc}); kiểm tra khóa MOTCUA_CRYPTO__DATA_KEY.",
                                  code="restore_file_unreadable") from exc
            readable += 1
    return RestoreReport(backend=backend, revision=_revision(db), files=len(manifest.files),
                         documents_readable=readable)


# ---- helpers -------------------------------------------------------------------------------------------------


def _digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def _revision(db: Engine) -> str | None:
    try:
        with db.connect() as connection:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    except sa.exc.DBAPIError:
        return None
    return ",".join(sorted(rows)) or None


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while another connection writes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _libpq(url: URL) -> str:
    """The SQLAlchemy URL as libpq takes it (no driver suffix, no password: that goes in PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _pg_binary(db: Engine, name: str) -> Path:
    """`name` of the server's major version when installed side by side (Debian's layout), else PATH's:
    pg_dump refuses a server newer than itself, and a dump is best read by the same major version."""
    with db.connect() as connection:
        number = int(connection.execute(sa.text("SHOW server_version_num")).scalar_one())
    versioned = Path(f"/usr/lib/postgresql/{number // 10000}/bin/{name}")
    if versioned.is_file():
        return versioned
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"Không tìm thấy chương trình {name} (PostgreSQL {number // 10000}); hãy cài gói "
                          f"postgresql-client-{number // 10000}.", code="pg_client_missing")
    return Path(found)


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        raise BackupError(f"{what} không thành công (mã {result.returncode}): {message[0]}",
                          code=f"{what.replace('_', '')}_failed")
