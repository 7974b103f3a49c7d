"""Who is acting, and what they may see: officials see their own department's dossiers; a task is open
to officials holding its lane's role in the dossier's department, and to its assignee."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.core.errors import Forbidden, NotFound
from workflows.dossiers.models import Dossier


@dataclass(frozen=True)
class Actor:
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

SUPERVISOR_ROLES = ("GIAM_SAT", "QUAN_TRI")


def ensure_can_see(actor: Actor, dossier: Dossier) -> None:
    """404, not 403, for another department's dossier: its existence is not the caller's to know."""
    if actor.kind == "system":
        return
    if actor.department_id is None or actor.department_id != dossier.department_id:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")


def ensure_can_work(actor: Actor, *, dossier: Dossier, lane: str | None, assignee: str | None) -> None:
    ensure_can_see(actor, dossier)
    if assignee is not None and assignee == actor.username:
        return
    if assignee is not None:
        raise Forbidden("Công việc đã được giao cho cán bộ khác.", code="task_assigned_to_other")
    if lane is None or not actor.has_role(lane):
        raise Forbidden("Bạn không có vai trò thực hiện bước này.", code="role_not_allowed")
