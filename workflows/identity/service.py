"""Departments, officials, passwords and API keys. Functions flush; the caller owns the transaction."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from workflows import audit
from workflows.core.clock import SystemClock
from workflows.core.config import Argon2Settings
from workflows.core.db import memo
from workflows.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from workflows.identity.actor import Actor
from workflows.identity.models import ApiKey, Department, Official, RefreshToken, Role

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
SCOPE_RE = re.compile(r"^[a-z_]+:(read|write)$")
# Scopes outside the resource:read|write pattern: `dvcqg.push` lets the national portal's adapter push online
# dossiers and their supplements (POST /api/v1/dvcqg/...).
NAMED_SCOPES = frozenset({"dvcqg.push"})
MIN_PASSWORD_LENGTH = 8
API_KEY_PREFIX = "mck_"

# Verified against when the username is unknown, so both failures cost one argon2 verification: one per set
# of parameters, made with them (a random password nobody knows), so that it costs what a real hash costs.
_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}
BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


class HashingSlots:
    """Bounds the argon2 computations running at once: each holds 64 MiB (m=65536) for ~0.1–0.3 s of one
    core, so logins at once beyond `limit` would add 64 MiB each for no gain. Built once per process in the
    wiring (default 1: `serve --workers N` runs one process per core, and one verification keeps a core
    busy). Waiters are served first come, first served: a freed slot is handed to the longest waiter, so a
    login arriving later cannot overtake one already queued.

    With `lock_file` (the processes of one `serve --workers N`), a holder also takes an exclusive `flock` on
    that file, so the processes together run one argon2 at a time: the server's memory peak is one 64 MiB
    buffer, however the logins fall between its processes. The kernel releases the lock of a process that
    dies holding it, so a killed process cannot leave the others waiting forever."""

    def __init__(self, limit: int, *, lock_file: Path | None = None) -> None:
        self.limit = limit
        self.lock_file = lock_file
        self._lock = threading.Lock()
        self._free = limit
        self._queue: deque[threading.Lock] = deque()  # one locked turn per waiter, oldest first

    @property
    def waiting(self) -> int:
        """Holders queued for a slot now."""
        with self._lock:
            return len(self._queue)

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                turn = None
            else:
                turn = threading.Lock()
                turn.acquire()
                self._queue.append(turn)
        if turn is not None:
            turn.acquire()  # released by the holder that hands its slot over
        try:
            if self.lock_file is None:
                yield
            else:
                # An open file of its own per holder: flock excludes other open files of the same file, in
                # this process as in the others.
                descriptor = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX)
                    yield
                finally:
                    os.close(descriptor)  # releases the lock
        finally:
            with self._lock:
                if self._queue:
                    self._queue.popleft().release()  # the slot passes on without becoming free
                else:
                    self._free += 1


def _now(now: datetime | None) -> datetime:
    return now if now is not None else SystemClock().now()


def password_hasher(settings: Argon2Settings | None = None) -> PasswordHasher:
    """The argon2id hasher of `settings` (argon2-cffi's defaults when None: 64 MiB, 3 passes, 4 lanes)."""
    settings = settings or Argon2Settings()
    return PasswordHasher(memory_cost=settings.memory_kib, time_cost=settings.time_cost,
                          parallelism=settings.parallelism)


def _parameters(hasher: PasswordHasher) -> tuple[int, int, int]:
    return hasher.memory_cost, hasher.time_cost, hasher.parallelism


def prime_dummy_hash(hasher: PasswordHasher) -> None:
    """Make now (a server's start-up) the hash an unknown username is checked against, for `hasher`'s
    parameters: made at the first unknown-user login instead, that one login would cost a hash more than
    any other, which tells whoever times it that the name does not exist."""
    _dummy_hash(hasher)


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = _parameters(hasher)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(24))
    return _DUMMY_HASHES[key]


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash with `hasher`'s parameters (the settings' `auth.argon2`; argon2-cffi's defaults when
    None). Refuses a password shorter than `MIN_PASSWORD_LENGTH`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
            errors=[{"field": "password", "message": f"Mật khẩu: phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự."}],
        )
    return (hasher or PasswordHasher()).hash(password)


def create_department(
    session: Session, *, code: str, name: str, agency_code: str, now: datetime | None = None,
    phone: str | None = None, unit_key: str | None = None,
) -> Department:
    """A department of `agency_code`; `unit_key` says what it does ("QLVH", "VHXH", "MOT_CUA"), the key a
    procedure's competence names to find its handling department in any agency."""
    if session.exec(select(Department).where(Department.code == code)).first() is not None:
        raise Conflict(f"Phòng/ban có mã {code} đã tồn tại.", code="department_exists")
    department = Department(code=code, name=name, agency_code=agency_code, phone=phone, unit_key=unit_key,
                            created_at=_now(now))
    session.add(department)
    session.flush()
    return department


def get_department(session: Session, *, code: str) -> Department:
    department = session.exec(select(Department).where(Department.code == code)).first()
    if department is None:
        raise NotFound(f"Không tìm thấy phòng/ban có mã {code}.", code="department_not_found")
    return department


def department_of(session: Session, *, official: Official) -> Department:
    department = session.get(Department, official.department_id)
    assert department is not None  # enforced by the foreign key
    return department


def _roles(roles: Iterable[str | Role]) -> list[str]:
    values = list(dict.fromkeys(str(role) for role in roles))
    unknown = [role for role in values if role not in Role.__members__]
    if unknown or not values:
        raise ValidationFailed(
            "Vai trò không hợp lệ: " + (", ".join(unknown) if unknown else "cần ít nhất một vai trò."),
            errors=[{"field": "roles", "message": "Vai trò: " + (
                f"không có vai trò {', '.join(unknown)}." if unknown else "cần ít nhất một vai trò.")}],
        )
    return values


def create_official(
    session: Session, *, username: str, password: str, full_name: str, department_code: str,
    roles: Iterable[str | Role], now: datetime | None = None, password_hash: str | None = None,
    title: str | None = None, unit_name: str | None = None, hasher: PasswordHasher | None = None,
) -> Official:
    """Create an official. `password_hash` lets a seed reuse one hash for many demo accounts (else the
    password is hashed with `hasher`); `title` (chức danh) and `unit_name` (when the title is held outside the
    department) are printed on forms."""
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            "Tên đăng nhập gồm 3–64 ký tự thường, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.",
            errors=[{"field": "username", "message": "Tên đăng nhập: chỉ gồm 3–64 ký tự thường, chữ số, dấu chấm, "
                                                      "gạch ngang hoặc gạch dưới."}],
        )
    if not full_name.strip():
        raise ValidationFailed(
            "Họ và tên không được để trống.",
            errors=[{"field": "full_name", "message": "Họ và tên: không được để trống."}],
        )
    role_codes = _roles(roles)
    department = get_department(session, code=department_code)
    if session.exec(select(Official).where(Official.username == username)).first() is not None:
        raise Conflict(f"Tên đăng nhập {username} đã được sử dụng.", code="username_taken")
    official = Official(
        username=username, full_name=full_name.strip(),
        password_hash=password_hash or hash_password(password, hasher=hasher),
        department_id=department.id, roles=role_codes, created_at=_now(now),
        title=(title or "").strip() or None, unit_name=(unit_name or "").strip() or None,
    )
    session.add(official)
    session.flush()
    return official


def get_official(session: Session, *, username: str) -> Official:
    official = session.exec(select(Official).where(Official.username == username)).first()
    if official is None:
        raise NotFound(f"Không tìm thấy cán bộ {username}.", code="official_not_found")
    return official


def list_officials(
    session: Session, *, page: int, page_size: int, department_code: str | None = None
) -> tuple[list[tuple[Official, Department]], int]:
    """A page of officials with their departments, ordered by username, and the total count."""
    query = select(Official, Department).join(Department, col(Department.id) == col(Official.department_id))
    count = select(func.count()).select_from(Official).join(Department)
    if department_code is not None:
        query = query.where(Department.code == department_code)
        count = count.where(Department.code == department_code)
    rows = session.exec(
        query.order_by(col(Official.username)).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return [(official, department) for official, department in rows], int(session.exec(count).one())


def authenticate(
    session: Session, *, username: str, password: str, slots: HashingSlots | None = None,
    hasher: PasswordHasher | None = None,
) -> Official:
    """The official whose password matches. Unknown user and wrong password give the same error and
    cost the same argon2 verification (inside one of `slots`, when given); a disabled account is refused
    only after a correct password. A hash made with other parameters than `hasher`'s (the settings'
    `auth.argon2`) is replaced by one made with them."""
    hasher = hasher or PasswordHasher()
    official = session.exec(select(Official).where(Official.username == username)).first()
    dummy = _dummy_hash(hasher) if official is None else ""
    try:
        with slots.hold() if slots is not None else nullcontext():
            hasher.verify(official.password_hash if official else dummy, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated(BAD_CREDENTIALS, code="invalid_credentials") from None
    if official is None:  # the dummy hash matched: cannot happen with a random password, but never log in
        raise NotAuthenticated(BAD_CREDENTIALS, code="invalid_credentials")
    if official.disabled:
        raise NotAuthenticated(
            "Tài khoản đã bị khóa; vui lòng liên hệ quản trị viên.", code="account_disabled"
        )
    if hasher.check_needs_rehash(official.password_hash):
        with slots.hold() if slots is not None else nullcontext():
            official.password_hash = hasher.hash(password)
        session.flush()
    return official


def revoke_all_tokens(session: Session, *, official: Official, now: datetime | None = None) -> None:
    """Every access and refresh token of the official stops working at once."""
    official.token_version += 1
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.official_id) == official.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=_now(now))
    )
    session.flush()


def disable_official(session: Session, *, username: str, now: datetime | None = None) -> Official:
    """Stop the official signing in; their tokens stop working at once. 409 `last_administrator` for the
    last enabled administrator (nobody could enable anyone again)."""
    official = get_official(session, username=username)
    if official.has_role(Role.QUAN_TRI) and not official.disabled:
        _keep_an_administrator(session, official=official, refused="vô hiệu hóa tài khoản này")
    official.disabled = True
    revoke_all_tokens(session, official=official, now=now)
    return official


def set_password(session: Session, *, official: Official, password: str, now: datetime | None = None,
                 hasher: PasswordHasher | None = None) -> None:
    """Change the password (hashed with `hasher`) and log the official out everywhere."""
    official.password_hash = hash_password(password, hasher=hasher)
    revoke_all_tokens(session, official=official, now=now)


def set_roles(session: Session, *, username: str, roles: Iterable[str | Role], actor: str, now: datetime) -> Official:
    """Replace the official's roles (they hold from the next request: roles are read with every token) and
    audit the change. 409 `last_administrator` when it would leave no enabled administrator to undo it."""
    official = get_official(session, username=username)
    before, after = list(official.roles), _roles(roles)
    if Role.QUAN_TRI.value in before and Role.QUAN_TRI.value not in after and not official.disabled:
        _keep_an_administrator(session, official=official, refused="bỏ vai trò Quản trị hệ thống")
    official.roles = after
    audit.record(session, actor=actor, action="official.roles_changed", at=now,
                 data={"username": username, "before": before, "after": after})
    session.flush()
    return official


def enable_official(session: Session, *, username: str, actor: str, now: datetime) -> Official:
    """Let a disabled official sign in again (with their password; their old tokens stay revoked); audited."""
    official = get_official(session, username=username)
    official.disabled = False
    audit.record(session, actor=actor, action="official.enabled", at=now, data={"username": username})
    session.flush()
    return official


def _keep_an_administrator(session: Session, *, official: Official, refused: str) -> None:
    # The enabled officials' rows are locked in id order (PostgreSQL; SQLite serialises writers): two
    # administrators taking each other's role at the same instant wait for one another, and the second then
    # reads the first's change instead of both passing the check.
    enabled = session.exec(select(Official).where(col(Official.disabled).is_(False))
                           .order_by(col(Official.id)).with_for_update()).all()
    others = [o for o in enabled if o.id != official.id and o.has_role(Role.QUAN_TRI)]
    if not others:
        raise Conflict(f"{official.full_name} là quản trị hệ thống duy nhất đang hoạt động; không thể {refused}.",
                       code="last_administrator")


def _key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    session: Session, *, name: str, scopes: Iterable[str], department_code: str | None = None,
    now: datetime | None = None, secret: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret; only the secret's sha256 is kept, so the secret is shown this once.
    `secret`: a given secret (the development seed's key for the DVCQG emulator), else a random one."""
    scope_list = list(dict.fromkeys(scopes))
    bad = [scope for scope in scope_list if not (SCOPE_RE.match(scope) or scope in NAMED_SCOPES)]
    if bad or not scope_list:
        raise ValidationFailed(
            "Phạm vi quyền (scope) không hợp lệ.", errors=[{"field": "scopes", "message": "Phạm vi quyền: " + (
                f"không hợp lệ: {', '.join(bad)}." if bad else "cần ít nhất một phạm vi.")}]
        )
    department_id = get_department(session, code=department_code).id if department_code else None
    secret = secret or API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name, prefix=secret[: len(API_KEY_PREFIX) + 8], key_hash=_key_hash(secret), scopes=scope_list,
        department_id=department_id, created_at=_now(now),
    )
    session.add(key)
    session.flush()
    return key, secret


def api_key_exists(session: Session, *, secret: str) -> bool:
    return session.exec(select(ApiKey).where(ApiKey.key_hash == _key_hash(secret))).first() is not None


def api_key_actor(session: Session, *, secret: str, now: datetime) -> Actor:
    """The integration holding `secret`, as an Actor; revoked and unknown keys are refused alike."""
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == _key_hash(secret))).first()
    if key is None or key.revoked_at is not None:
        raise NotAuthenticated("Khóa API không hợp lệ hoặc đã bị thu hồi.", code="invalid_api_key")
    key.last_used_at = now
    session.flush()
    department = _department(session, key.department_id)
    return Actor.of_api_key(key, department_name=department.name if department else "",
                            agency_code=department.agency_code if department else None)


def actor_of_official(session: Session, *, official: Official) -> Actor:
    """An authenticated official as the Actor the domain works with (department name and agency included)."""
    if official in session:
        # The step's control-log row and forms name the giver (`naming.describe`): the row the token was
        # checked against is that official, so they need not select it again by username.
        memo(session, "official_by_username", official.username, lambda: official)
    department = _department(session, official.department_id)
    return Actor.of_official(official, department_name=department.name if department else "",
                             agency_code=department.agency_code if department else None)


def _department(session: Session, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    # Remembered for the request: the dossier's forms and messages ask for the same department.
    return memo(session, "department", department_id, lambda: session.get(Department, department_id))


def revoke_api_key(session: Session, *, key: ApiKey, now: datetime) -> None:
    key.revoked_at = now
    session.flush()
