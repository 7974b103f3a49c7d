"""Who is acting in the domain: an official, an API key, a citizen or the system, in one shape."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The one acting in a request, a job or a BPMN step; `username` names them in audit entries."""

    username: str
    display_name: str
    kind: str  # official | api_key | system | citizen
    department_id: int | None = None
    department_name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM = Actor(username="system", display_name="Hệ thống", kind="system")
