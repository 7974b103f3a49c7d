"""How people read an official: full name, title (chức danh) and unit, never the login name.

`official_label` is the one place that composes "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia
đình"; forms, the control log and messages call it (or `describe`) rather than building their own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from workflows.core.db import memo
from workflows.identity.models import Department, Official


@dataclass(frozen=True)
class OfficialName:
    """What is printed about one official: `full_name`, `position` (title in unit), the unit and its
    contact phone."""

    full_name: str
    title: str
    position: str
    unit_name: str
    unit_phone: str

    @property
    def label(self) -> str:
        return official_label_text(self.full_name, self.position)


def position_text(title: str | None, unit: str | None) -> str:
    """ "Chuyên viên Phòng Quản lý Văn hóa và Gia đình"; "Trưởng phòng" + "Phòng Quản lý Du lịch" reads
    "Trưởng phòng Quản lý Du lịch" (the word is not repeated). Either part may be missing."""
    title, unit = (title or "").strip(), (unit or "").strip()
    if title.lower().endswith("phòng") and unit.lower().startswith("phòng "):
        unit = unit[len("phòng "):]
    return " ".join(part for part in (title, unit) if part)


def official_label_text(full_name: str, position: str) -> str:
    return ", ".join(part for part in (full_name.strip(), position) if part)


def official_label(official: Official, department: Department | None) -> str:
    """ "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình": the official as people read it."""
    return describe_official(official, department).label


def describe_official(official: Official, department: Department | None) -> OfficialName:
    unit = official.unit_name or (department.name if department else "")
    return OfficialName(
        full_name=official.full_name, title=official.title or "", position=position_text(official.title, unit),
        unit_name=department.name if department else unit, unit_phone=(department.phone or "") if department else "",
    )


def describe(session: Session, *, username: str) -> OfficialName | None:
    """The official with this login, as people read them; None for a system or API-key actor."""
    official = memo(session, "official_by_username", username,
                    lambda: session.exec(select(Official).where(Official.username == username)).first())
    if official is None:
        return None
    department_id = official.department_id
    department = memo(session, "department", department_id, lambda: session.get(Department, department_id))
    return describe_official(official, department)
