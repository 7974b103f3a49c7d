"""Demo departments and one official per role, for development and tests (password `motcua-demo`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from workflows.identity import service
from workflows.identity.models import Department, Official, Role

DEMO_PASSWORD = "motcua-demo"
DEMO_AGENCY_CODE = "H60.22"  # Sở Văn hóa, Thể thao và Du lịch
QLVH = "PHONG_QLVH"
QLDL = "PHONG_QLDL"

DEMO_DEPARTMENTS: list[tuple[str, str]] = [
    (QLVH, "Phòng Quản lý Văn hóa và Gia đình"),
    (QLDL, "Phòng Quản lý Du lịch"),
]

# (username, full name, department, role)
DEMO_OFFICIALS: list[tuple[str, str, str, Role]] = [
    ("mot_cua", "Nguyễn Thị Thu Hà", QLVH, Role.MOT_CUA),
    ("lanh_dao_phong", "Trần Văn Minh", QLVH, Role.LANH_DAO_PHONG),
    ("chuyen_vien", "Lê Thị Hương", QLVH, Role.CHUYEN_VIEN),
    ("lanh_dao_so", "Phạm Quốc Hùng", QLVH, Role.LANH_DAO_SO),
    ("van_thu", "Hoàng Thị Lan", QLVH, Role.VAN_THU),
    ("giam_sat", "Vũ Đức Thắng", QLVH, Role.GIAM_SAT),
    ("quan_tri", "Đỗ Mạnh Cường", QLVH, Role.QUAN_TRI),
    ("chuyen_vien_2", "Bùi Thị Ngọc Anh", QLVH, Role.CHUYEN_VIEN),
    ("mot_cua_dl", "Ngô Văn Tuấn", QLDL, Role.MOT_CUA),
    ("lanh_dao_phong_dl", "Đặng Thị Mai", QLDL, Role.LANH_DAO_PHONG),
    ("chuyen_vien_dl", "Lý Văn Khánh", QLDL, Role.CHUYEN_VIEN),
]


def seed_demo(session: Session, *, now: datetime | None = None) -> list[str]:
    """Create what is missing (existing rows are left as they are); return the usernames created."""
    for code, name in DEMO_DEPARTMENTS:
        if session.exec(select(Department).where(Department.code == code)).first() is None:
            service.create_department(session, code=code, name=name, agency_code=DEMO_AGENCY_CODE, now=now)
    existing = set(session.exec(select(Official.username)).all())
    missing = [row for row in DEMO_OFFICIALS if row[0] not in existing]
    # One argon2 hash for every demo account: hashing costs ~0.1 s each.
    password_hash = service.hash_password(DEMO_PASSWORD) if missing else None
    for username, full_name, department, role in missing:
        service.create_official(
            session, username=username, password=DEMO_PASSWORD, full_name=full_name,
            department_code=department, roles=[role], now=now, password_hash=password_hash,
        )
    return [row[0] for row in missing]
