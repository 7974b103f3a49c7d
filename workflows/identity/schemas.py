"""Request and response bodies of the identity API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import ensure_utc, to_local
from workflows.identity.models import ApiKey, Department, Official, Role
from workflows.identity.naming import describe_official
from workflows.identity.tokens import TokenPair


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the access token stays valid")
    refresh_token: str

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(
            access_token=pair.access_token,
            token_type=pair.token_type,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
        )


class RefreshRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "rt_3f9a..."}]})
    refresh_token: str = Field(min_length=1, max_length=4096)


class DepartmentPublic(BaseModel):
    code: str
    name: str

    @classmethod
    def of(cls, department: Department) -> DepartmentPublic:
        return cls(code=department.code, name=department.name)


class Me(BaseModel):
    username: str
    full_name: str
    roles: list[Role]
    department: DepartmentPublic
    title: str | None = None
    position: str = Field("", description="Title and unit as forms print them")


class OfficialPublic(Me):
    disabled: bool
    created_at: datetime
    login_blocked_until: datetime | None = Field(
        None, description="Logins refused until then after failed attempts (the wait or the lock an "
                          "administrator lifts with `…/unlock`); only in the officials list")

    @classmethod
    def of(cls, official: Official, department: Department) -> OfficialPublic:
        return cls(
            username=official.username,
            full_name=official.full_name,
            roles=[Role(r) for r in official.roles],
            department=DepartmentPublic.of(department),
            title=official.title,
            position=describe_official(official, department).position,
            disabled=official.disabled,
            created_at=to_local(ensure_utc(official.created_at)),
        )


class OfficialCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "chuyen_vien_3",
                    "password": "mat-khau-manh-2026",
                    "full_name": "Nguyễn Văn An",
                    "department_code": "PHONG_QLVH",
                    "roles": ["CHUYEN_VIEN"],
                    "title": "Chuyên viên",
                }
            ]
        }
    )

    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    full_name: str = Field(min_length=1, max_length=255)
    department_code: str = Field(min_length=1, max_length=64)
    roles: list[Role] = Field(min_length=1)
    title: str | None = Field(default=None, max_length=255, description="Chức danh, printed on forms")
    unit_name: str | None = Field(
        default=None, max_length=255,
        description="The unit the title is held in when it is not the department (a Sở leader: the Sở)",
    )


class OfficialRolesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"roles": ["CHUYEN_VIEN"]}]})

    roles: list[Role] = Field(min_length=1, description="The official's roles from now on (replacing them)")


class DepartmentOut(BaseModel):
    """A department an official may belong to, with its agency (the create form's choice)."""

    code: str
    name: str
    agency_code: str
    agency_name: str


class OfficialPage(BaseModel):
    items: list[OfficialPublic]
    total: int
    page: int
    page_size: int


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Cổng dịch vụ công tỉnh",
                    "scopes": ["dossiers:write", "dossiers:read"],
                    "department_code": None,
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=128)
    scopes: list[str] = Field(min_length=1, description="e.g. `dossiers:write`, `dossiers:read`")
    department_code: str | None = None


class ApiKeyCreated(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    department_code: str | None
    created_at: datetime
    secret: str = Field(description="Send as the `X-API-Key` header. Shown only in this response.")

    @classmethod
    def of(cls, key: ApiKey, *, secret: str, department_code: str | None) -> ApiKeyCreated:
        assert key.id is not None
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=key.scopes,
            department_code=department_code,
            created_at=to_local(ensure_utc(key.created_at)),
            secret=secret,
        )


class UnlockOut(BaseModel):
    username: str
    was_locked: bool = Field(description="The account was waiting or locked after failed logins")
