"""Who is acting: an official, an API key, a citizen or the system, in one shape for the web and the domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.identity.models import ApiKey, Official


@dataclass(frozen=True)
class Actor:
    """The one acting in a request, a job or a BPMN step; `username` names them in audit entries.

    Officials are authorised by roles (`has_role`), API keys by scopes (`has_scopes`); the others hold
    neither. `display_name` is what people read (an official's full name, a key's name).
    """

    username: str
    display_name: str
    kind: str  # official | api_key | system | citizen
    department_id: int | None = None
    department_name: str = ""
    agency_code: str | None = None  # the agency of the department (workflows/agencies)
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of_official(cls, official: Official, *, department_name: str = "", agency_code: str | None = None) -> Actor:
        return cls(
            username=official.username, display_name=official.full_name, kind="official",
            department_id=official.department_id, department_name=department_name, agency_code=agency_code,
            roles=frozenset(official.roles),
        )

    @classmethod
    def of_api_key(cls, key: ApiKey, *, department_name: str = "", agency_code: str | None = None) -> Actor:
        return cls(
            username=f"api_key:{key.prefix}", display_name=key.name, kind="api_key",
            department_id=key.department_id, department_name=department_name, agency_code=agency_code,
            scopes=frozenset(key.scopes),
        )

    @property
    def qualified_name(self) -> str:
        """The username with what kind of caller it is ("official:mot_cua", "api_key:mck_…")."""
        return f"official:{self.username}" if self.kind == "official" else self.username

    def has_role(self, *roles: str) -> bool:
        """Any of `roles` (role codes or `Role` members, which are strings)."""
        return bool(self.roles.intersection(roles))

    def has_scopes(self, *scopes: str) -> bool:
        """All of `scopes`."""
        return all(scope in self.scopes for scope in scopes)


SYSTEM = Actor(username="system", display_name="Hệ thống", kind="system")
