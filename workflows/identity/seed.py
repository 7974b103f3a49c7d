"""Demo departments and one official per role, for development and tests (password `motcua-demo`)."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlmodel import Session, select

from workflows.agencies import service as agencies
from workflows.agencies.models import Agency
from workflows.core.dvcqg_config import DEV_DVCQG_PUSH_KEY
from workflows.identity import service
from workflows.identity.models import Department, Official, Role

DEMO_PASSWORD = "motcua-demo"
DEMO_AGENCY_CODE = "H60.22"  # Sở Văn hóa, Thể thao và Du lịch
QLVH = "PHONG_QLVH"
QLDL = "PHONG_QLDL"

XA1, XA2 = "H60.71", "H60.72"  # Phường Minh Xuân, Xã Yên Sơn (workflows/agencies/data/tuyen_quang_demo.csv)
KSTTHC = "PHONG_KSTTHC"
TTPVHCC = "BGD_TTPVHCC"

# (code, name, contact phone printed on forms, agency, unit key: what procedures name as their handling unit)
DEMO_DEPARTMENTS: list[tuple[str, str, str | None, str, str]] = [
    (QLVH, "Phòng Quản lý Văn hóa và Gia đình", "0207 3822 356", DEMO_AGENCY_CODE, "QLVH"),
    (QLDL, "Phòng Quản lý Du lịch", "0207 3811 479", DEMO_AGENCY_CODE, "QLDL"),
    (KSTTHC, "Phòng Kiểm soát thủ tục hành chính", None, "H60.01", "KSTTHC"),
    (TTPVHCC, "Ban Giám đốc Trung tâm Phục vụ hành chính công tỉnh", None, "H60.50", "BAN_GIAM_DOC"),
    (f"{XA1}.MOT_CUA", "Trung tâm Phục vụ hành chính công phường Minh Xuân", None, XA1, "MOT_CUA"),
    (f"{XA1}.VHXH", "Phòng Văn hóa - Xã hội", None, XA1, "VHXH"),
    (f"{XA2}.MOT_CUA", "Trung tâm Phục vụ hành chính công xã Yên Sơn", None, XA2, "MOT_CUA"),
    (f"{XA2}.VHXH", "Phòng Văn hóa - Xã hội", None, XA2, "VHXH"),
]
XA1_UBND = "Ủy ban nhân dân phường Minh Xuân"
XA2_UBND = "Ủy ban nhân dân xã Yên Sơn"

SO = "Sở Văn hóa, Thể thao và Du lịch"
VAN_PHONG = "Văn phòng Sở Văn hóa, Thể thao và Du lịch"
MOT_CUA_UNIT = "Bộ phận Một cửa tại Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang"

# (username, full name, department, role, title, unit the title is held in when not the department)
DEMO_OFFICIALS: list[tuple[str, str, str, Role, str, str | None]] = [
    ("mot_cua", "Nguyễn Thị Thu Hà", QLVH, Role.MOT_CUA, "Chuyên viên", MOT_CUA_UNIT),
    ("lanh_dao_phong", "Trần Văn Minh", QLVH, Role.LANH_DAO_PHONG, "Trưởng phòng", None),
    ("chuyen_vien", "Lê Thị Hương", QLVH, Role.CHUYEN_VIEN, "Chuyên viên", None),
    ("lanh_dao_so", "Phạm Quốc Hùng", QLVH, Role.LANH_DAO_SO, "Phó Giám đốc", SO),
    ("van_thu", "Hoàng Thị Lan", QLVH, Role.VAN_THU, "Văn thư", VAN_PHONG),
    ("giam_sat", "Vũ Đức Thắng", QLVH, Role.GIAM_SAT, "Chánh Văn phòng", VAN_PHONG),
    ("quan_tri", "Đỗ Mạnh Cường", QLVH, Role.QUAN_TRI, "Chuyên viên công nghệ thông tin", VAN_PHONG),
    ("chuyen_vien_2", "Bùi Thị Ngọc Anh", QLVH, Role.CHUYEN_VIEN, "Chuyên viên", None),
    ("mot_cua_dl", "Ngô Văn Tuấn", QLDL, Role.MOT_CUA, "Chuyên viên", MOT_CUA_UNIT),
    ("lanh_dao_phong_dl", "Đặng Thị Mai", QLDL, Role.LANH_DAO_PHONG, "Phó Trưởng phòng", None),
    ("chuyen_vien_dl", "Lý Văn Khánh", QLDL, Role.CHUYEN_VIEN, "Chuyên viên", None),
    # The province's read-only supervisors: its control office (KSTTHC) and the provincial centre's director.
    ("giam_sat_tinh", "Hà Thị Thanh Tâm", KSTTHC, Role.GIAM_SAT_TINH, "Trưởng phòng",
     "Phòng Kiểm soát thủ tục hành chính, Văn phòng Ủy ban nhân dân tỉnh"),
    ("giam_doc_ttpvhcc", "Triệu Văn Phong", TTPVHCC, Role.GIAM_SAT_TINH, "Giám đốc",
     "Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang"),
    # Two communes, each with its one-stop desk (TTPVHCC cấp xã) and the officials of its Phòng Văn hóa - Xã hội.
    ("mot_cua_xa1", "Nông Thị Huyền", f"{XA1}.MOT_CUA", Role.MOT_CUA, "Công chức", None),
    ("lanh_dao_phong_xa1", "Ma Văn Toàn", f"{XA1}.VHXH", Role.LANH_DAO_PHONG, "Trưởng phòng", None),
    ("chuyen_vien_xa1", "Hoàng Thị Yến", f"{XA1}.VHXH", Role.CHUYEN_VIEN, "Chuyên viên", None),
    ("lanh_dao_xa1", "Lương Văn Chiến", f"{XA1}.VHXH", Role.LANH_DAO_SO, "Phó Chủ tịch", XA1_UBND),
    ("van_thu_xa1", "Quan Thị Hoa", f"{XA1}.VHXH", Role.VAN_THU, "Văn thư", f"Văn phòng {XA1_UBND}"),
    ("mot_cua_xa2", "Sầm Văn Lực", f"{XA2}.MOT_CUA", Role.MOT_CUA, "Công chức", None),
    ("lanh_dao_phong_xa2", "Đinh Thị Nga", f"{XA2}.VHXH", Role.LANH_DAO_PHONG, "Trưởng phòng", None),
    ("chuyen_vien_xa2", "Chu Văn Thái", f"{XA2}.VHXH", Role.CHUYEN_VIEN, "Chuyên viên", None),
    ("lanh_dao_xa2", "Mai Thị Duyên", f"{XA2}.VHXH", Role.LANH_DAO_SO, "Chủ tịch", XA2_UBND),
    ("van_thu_xa2", "Lục Văn Bình", f"{XA2}.VHXH", Role.VAN_THU, "Văn thư", f"Văn phòng {XA2_UBND}"),
]


DVCQG_ADAPTER_KEY_NAME = "Cổng Dịch vụ công quốc gia (bộ chuyển đổi)"


def seed_dvcqg_adapter_key(session: Session, *, secret: str, now: datetime | None = None) -> bool:
    """Development: the API key (scope `dvcqg.push`, Bộ phận Một cửa's department) the DVCQG emulator pushes
    online dossiers with; True when created."""
    if service.api_key_exists(session, secret=secret):
        return False
    service.create_api_key(session, name=DVCQG_ADAPTER_KEY_NAME, scopes=["dvcqg.push"], department_code=QLVH,
                           now=now, secret=secret)
    return True


def seed_demo(session: Session, *, now: datetime | None = None,
              dvcqg_push_key: str = DEV_DVCQG_PUSH_KEY, hasher: PasswordHasher | None = None) -> list[str]:
    """Create what is missing and fill the titles and phones of demo rows that have none (a database
    seeded before titles existed); other existing values are left as they are. Return the usernames
    created. The demo password is hashed with `hasher` (the settings' `auth.argon2`)."""
    # The demo agency tree first (the Sở, the province's office and centre, two communes): imported once.
    if session.get(Agency, XA2) is None:
        agencies.import_file(session, path=agencies.DEMO_FILE, now=now or datetime.now(UTC))
    for code, name, phone, agency_code, unit_key in DEMO_DEPARTMENTS:
        department = session.exec(select(Department).where(Department.code == code)).first()
        if department is None:
            service.create_department(session, code=code, name=name, agency_code=agency_code, now=now,
                                      phone=phone, unit_key=unit_key)
        elif department.phone is None or department.unit_key is None:
            department.phone = department.phone or phone
            department.unit_key = department.unit_key or unit_key
            session.add(department)
    existing = {o.username: o for o in session.exec(select(Official)).all()}
    missing = [row for row in DEMO_OFFICIALS if row[0] not in existing]
    password_hash = _demo_password_hash(hasher or service.password_hasher()) if missing else None
    for username, full_name, department, role, title, unit in missing:
        service.create_official(
            session, username=username, password=DEMO_PASSWORD, full_name=full_name,
            department_code=department, roles=[role], now=now, password_hash=password_hash,
            title=title, unit_name=unit,
        )
    for username, _, _, _, title, unit in DEMO_OFFICIALS:
        official = existing.get(username)
        if official is not None and official.title is None:
            official.title, official.unit_name = title, unit
            session.add(official)
    session.flush()
    seed_dvcqg_adapter_key(session, secret=dvcqg_push_key, now=now)
    return [row[0] for row in missing]


_DEMO_HASHES: dict[tuple[int, int, int], str] = {}


def _demo_password_hash(hasher: PasswordHasher) -> str:
    # One argon2 hash for every demo account, and for every seed in this process with these parameters (a test
    # seeds each test's database): hashing costs ~0.25 s, and the demo password is published in the README.
    key = (hasher.memory_cost, hasher.time_cost, hasher.parallelism)
    if key not in _DEMO_HASHES:
        _DEMO_HASHES[key] = service.hash_password(DEMO_PASSWORD, hasher=hasher)
    return _DEMO_HASHES[key]
