"""Tables of identity and access. Datetimes are aware UTC (SQLite hands them back naive: `ensure_utc`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Role(StrEnum):
    """Role codes of officials (DOMAIN.md §2.3); they are also the BPMN lane names."""

    MOT_CUA = "MOT_CUA"
    LANH_DAO_PHONG = "LANH_DAO_PHONG"
    CHUYEN_VIEN = "CHUYEN_VIEN"
    LANH_DAO_SO = "LANH_DAO_SO"
    VAN_THU = "VAN_THU"
    GIAM_SAT = "GIAM_SAT"
    GIAM_SAT_TINH = "GIAM_SAT_TINH"  # the provincial centre's director, the province's KSTTHC office: read-only
    QUAN_TRI = "QUAN_TRI"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.MOT_CUA: "Công chức Bộ phận Một cửa",
    Role.LANH_DAO_PHONG: "Lãnh đạo phòng chuyên môn",
    Role.CHUYEN_VIEN: "Chuyên viên thụ lý",
    Role.LANH_DAO_SO: "Lãnh đạo Sở",
    Role.VAN_THU: "Văn thư",
    Role.GIAM_SAT: "Giám sát",
    Role.GIAM_SAT_TINH: "Giám sát toàn tỉnh",
    Role.QUAN_TRI: "Quản trị hệ thống",
}


class Department(SQLModel, table=True):
    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)
    agency_code: str = Field(max_length=64, index=True)  # the agency (workflows/agencies) it belongs to
    # What the unit does, the same key in every agency that has one ("QLVH", "VHXH", "MOT_CUA"): a procedure
    # names the unit that handles it (`competence.unit`), found in the competent agency by this key.
    unit_key: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)  # the unit's contact phone, printed on forms
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Official(SQLModel, table=True):
    __tablename__ = "official"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=255)
    # Chức danh ("Chuyên viên", "Phó Giám đốc") and the unit it is held in when that is not the department
    # ("Sở Văn hóa, Thể thao và Du lịch" for a Sở leader): see workflows/identity/naming.py.
    title: str | None = Field(default=None, max_length=255)
    unit_name: str | None = Field(default=None, max_length=255)
    password_hash: str = Field(max_length=255)
    department_id: int = Field(foreign_key="department.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    zalo_user_id: str | None = Field(default=None, max_length=64)
    disabled: bool = False
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    # Bumped to revoke every access and refresh token of the official at once.
    token_version: int = 0

    def has_role(self, *roles: Role) -> bool:
        return any(role.value in self.roles for role in roles)


class RefreshToken(SQLModel, table=True):
    """One issued refresh token (the JWT itself is not stored, only its jti). Tokens rotated from one login
    share a `family_id`, so presenting an already-used token revokes the whole family."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    jti: str = Field(max_length=64, unique=True)
    family_id: str = Field(max_length=64, index=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    replaced_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ApiKey(SQLModel, table=True):
    """A key of a system integration (portal, Zalo menu). Only the sha256 of the secret is stored."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one account or one client address, shared by every API process. The key is a
    keyed hash (`account:…` of the username, `client:…` of the address): neither a typed username, which
    may be a password typed in the wrong field, nor an IP address is stored."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # No attempt is verified before this time: the growing wait, then the lock.
    blocked_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
