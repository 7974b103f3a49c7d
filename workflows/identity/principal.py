"""Who is calling: an official (bearer token) or a system integration (API key), in one shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from workflows.identity.models import ApiKey, Official, Role


@dataclass(frozen=True)
class Principal:
    """Officials are authorised by roles, API keys by scopes; `actor` names either in audit entries."""

    kind: Literal["official", "api_key"]
    name: str
    display_name: str
    department_id: int | None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    official: Official | None = field(default=None, compare=False, repr=False)
    api_key_id: int | None = None

    @classmethod
    def of_official(cls, official: Official) -> Principal:
        return cls(
            kind="official", name=official.username, display_name=official.full_name,
            department_id=official.department_id, roles=frozenset(official.roles), official=official,
        )

    @classmethod
    def of_api_key(cls, key: ApiKey) -> Principal:
        return cls(
            kind="api_key", name=f"api_key:{key.prefix}", display_name=key.name,
            department_id=key.department_id, scopes=frozenset(key.scopes), api_key_id=key.id,
        )

    @property
    def actor(self) -> str:
        return f"official:{self.name}" if self.kind == "official" else self.name

    def has_role(self, *roles: Role) -> bool:
        return any(role.value in self.roles for role in roles)

    def has_scopes(self, *scopes: str) -> bool:
        return all(scope in self.scopes for scope in scopes)
