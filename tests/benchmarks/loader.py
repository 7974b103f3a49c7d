"""The bulk loader: dossiers at size (COPY on PostgreSQL, executemany in big transactions on SQLite).

Every 10th dossier is open (a running process instance with a small placeholder state, one open work item
with a due time, the dossier's appointment); the others are returned results. Applicant ID and phone
numbers are distinct per dossier and their keyed lookup hashes are real (`PersonalDataCipher.lookup_hash`);
the Fernet ciphertexts come from a small pool (encrypting a million values would dominate the load and
nothing measured decrypts more than a page). Reminders already due before the bench's "now" are recorded
as sent except for one in a hundred, as in a system whose reminder job has been running.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from engine.models import ProcessDefinition
from workflows.core.clock import VN_TZ
from workflows.core.db import session_scope
from workflows.core.text import search_key
from workflows.dossiers.statuses import NATIONAL, SubStatus
from workflows.identity import service as identity_service
from workflows.identity.models import Department
from workflows.procedures.models import ProcedureVersion
from workflows.wiring import Wiring

CHUNK = 50_000
EXTRA_DEPARTMENTS = 8
OPEN_STEPS = [  # (sub-status, element, lane)
    (SubStatus.CHO_PHAN_CONG, "phan_cong", "LANH_DAO_PHONG"),
    (SubStatus.DANG_THAM_DINH, "tham_dinh", "CHUYEN_VIEN"),
    (SubStatus.KIEM_TRA_THUC_TE, "kiem_tra_thuc_te", "CHUYEN_VIEN"),
    (SubStatus.CHO_XEM_XET, "xem_xet", "LANH_DAO_PHONG"),
    (SubStatus.CHO_KY_DUYET, "ky_duyet", "LANH_DAO_SO"),
    (SubStatus.CHO_PHAT_HANH, "phat_hanh", "VAN_THU"),
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Thu", "Minh", "Ngọc", "Quốc"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Nhung",
         "Phúc", "Quang", "Sơn", "Thảo", "Trang", "Tuấn", "Vân"]
DOSSIER_COLUMNS = [
    "id", "code", "agency_code", "department_id", "procedure_version_id", "procedure_code", "process_key",
    "instance_id", "channel", "status", "national_status", "applicant_kind", "applicant_name",
    "applicant_name_search", "applicant_id_enc", "applicant_id_hash", "applicant_phone_enc",
    "applicant_phone_hash", "applicant_address_enc", "documents", "notify_zalo", "submitted_at", "accepted_at",
    "due_at", "original_due_at", "paused_hours", "supplement_count", "counted_late", "apology_count",
    "finished_at", "returned_at", "created_by", "created_at", "updated_at", "received_agency_code",
    "received_department_id", "current_agency_code"]
INSTANCE_COLUMNS = ["id", "definition_id", "process_key", "business_key", "status", "state_json",
                    "serializer_version", "version", "created_at", "updated_at"]
ITEM_COLUMNS = ["id", "instance_id", "business_key", "process_key", "element_id", "name", "title", "lane",
                "properties", "assignee", "state", "due_at", "created_at"]
SENT_COLUMNS = ["subject", "kind", "recipients", "created_at"]
DOCUMENTS = json.dumps([{"name": "Đơn đề nghị cấp giấy phép", "count": 1, "kind": "ban_chinh"},
                        {"name": "Giấy chứng nhận đăng ký kinh doanh", "count": 1, "kind": "ban_sao"}],
                       ensure_ascii=False)
STATE_JSON = json.dumps({"bench": "placeholder: bulk-loaded instances are listed, never loaded"})


def load_until(wiring: Wiring, *, total: int) -> dict[str, Any]:
    """Insert dossiers until the table holds `total`; returns timing and counts."""
    started = time.monotonic()
    context = _context(wiring)
    inserted = 0
    with session_scope(wiring.db) as session:
        have = int(session.exec(text("SELECT count(*) FROM dossier")).one()[0])  # type: ignore[call-overload]
        next_dossier = int(session.exec(text("SELECT coalesce(max(id), 0) FROM dossier")).one()[0]) + 1  # type: ignore[call-overload]
        next_instance = int(session.exec(  # type: ignore[call-overload]
            text("SELECT coalesce(max(id), 0) FROM process_instance")).one()[0]) + 1
    while have + inserted < total:
        count = min(CHUNK, total - have - inserted)
        rows = _generate(context, first_id=next_dossier, first_instance=next_instance, count=count)
        _insert(wiring, rows)
        next_dossier += count
        next_instance += len(rows["process_instance"])
        inserted += count
    _after_load(wiring)
    return {"seconds": time.monotonic() - started, "inserted": inserted, "total": total}


def _context(wiring: Wiring) -> dict[str, Any]:
    now = datetime.now(UTC)
    with session_scope(wiring.db) as session:
        departments = session.exec(select(Department).order_by(Department.id)).all()  # type: ignore[arg-type]
        for k in range(len(departments), EXTRA_DEPARTMENTS + 2):
            identity_service.create_department(session, code=f"PHONG_BENCH_{k}", name=f"Phòng thử tải {k}",
                                               agency_code="H60.22", now=now)
        departments = session.exec(select(Department).order_by(Department.id)).all()  # type: ignore[arg-type]
        procedures = [p for p in session.exec(select(ProcedureVersion)).all()
                      if p.process_key == "karaoke_vu_truong"] or list(session.exec(select(ProcedureVersion)).all())
        definition = session.exec(select(ProcessDefinition).where(
            ProcessDefinition.key == procedures[0].process_key)).first()
        dept = [(d.id, d.code) for d in departments]
        procs = [(p.id, p.code, p.process_key) for p in procedures]
    cipher = wiring.cipher
    pool = 64
    return {
        "now": now, "departments": dept, "procedures": procs, "definition_id": definition.id if definition else 1,
        "cipher": cipher,
        "id_enc": [cipher.encrypt(f"0891900{k:05d}") for k in range(pool)],
        "phone_enc": [cipher.encrypt(f"0912{k:06d}") for k in range(pool)],
        "address_enc": [cipher.encrypt(f"Số {k}, đường Trần Hưng Đạo, phường Phan Thiết, tỉnh Tuyên Quang")
                        for k in range(pool)],
        "first_day": (now.astimezone(VN_TZ) - timedelta(days=1)).date(),
    }


def _generate(ctx: dict[str, Any], *, first_id: int, first_instance: int, count: int) -> dict[str, list[tuple]]:
    now: datetime = ctx["now"]
    cipher = ctx["cipher"]
    dossiers, instances, items, sent = [], [], [], []
    instance_id = first_instance
    for n in range(first_id, first_id + count):
        rng = random.Random(n)
        dept_id, dept_code = ctx["departments"][n % len(ctx["departments"])]
        proc_id, proc_code, process_key = ctx["procedures"][n % len(ctx["procedures"])]
        day = ctx["first_day"] - timedelta(days=n // 700)
        code = f"H60.22-{day:%y%m%d}-{5000 + n % 700:04d}"
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        id_number, phone = f"09{n:010d}", f"03{n % 10**8:08d}"
        is_open = n % 10 == 0
        if is_open:
            status, element, lane = OPEN_STEPS[(n // 10) % len(OPEN_STEPS)]
            submitted = now - timedelta(days=rng.uniform(1, 20))
            due = now + timedelta(hours=rng.uniform(-72, 14 * 24))
            finished = None
            inst = instance_id
            instance_id += 1
        else:
            status, element, lane = SubStatus.DA_TRA_KET_QUA, "", ""
            submitted = datetime(day.year, day.month, day.day, 1, tzinfo=UTC) + timedelta(seconds=n % 700 * 30)
            due = submitted + timedelta(days=7)
            finished = submitted + timedelta(days=rng.uniform(1, 7))
            inst = None
        dossiers.append((
            n, code, "H60.22", dept_id, proc_id, proc_code, process_key, inst, "counter", status.value,
            NATIONAL[status], "person", name, search_key(name), ctx["id_enc"][n % 64],
            cipher.lookup_hash("id_number", id_number), ctx["phone_enc"][n % 64],
            cipher.lookup_hash("phone", phone), ctx["address_enc"][n % 64], DOCUMENTS, False, submitted,
            submitted, due, due, 0.0, 0, False, 0, finished, finished, "bench", submitted, finished or submitted,
            "H60.22", dept_id, "H60.22"))
        if not is_open:
            continue
        instances.append((inst, ctx["definition_id"], process_key, code, "running", STATE_JSON, "bench", 0,
                          submitted, submitted))
        item_id = str(uuid.UUID(int=rng.getrandbits(128)))
        item_due = due - timedelta(hours=rng.uniform(0, 48))
        assignee = None
        if lane == "CHUYEN_VIEN":
            k = rng.randrange(10)
            assignee = (["chuyen_vien", "chuyen_vien_2"][k] if k < 2 and dept_code == "PHONG_QLVH"
                        else f"cv_{dept_code.lower()}_{k}")
        items.append((item_id, inst, code, process_key, element, element, element, lane, "{}", assignee, "open",
                      item_due, item_due - timedelta(days=3)))
        keep_due = n % 1000 == 0  # one in a hundred open ones is left for the reminder pass
        if not keep_due:
            if item_due < now - timedelta(hours=2):
                sent += [(f"task:{item_id}", "overdue", 1, now), (f"task:{item_id}", "escalation", 1, now)]
            elif item_due < now + timedelta(days=1):
                sent.append((f"task:{item_id}", "due_soon", 1, now))
            if now < due < now + timedelta(days=3):
                sent.append((f"dossier:{code}", "apology_due", 1, now))
    return {"dossier": dossiers, "process_instance": instances, "work_item": items, "reminder_sent": sent}


COLUMNS = {"dossier": DOSSIER_COLUMNS, "process_instance": INSTANCE_COLUMNS, "work_item": ITEM_COLUMNS,
           "reminder_sent": SENT_COLUMNS}


def _insert(wiring: Wiring, rows: dict[str, list[tuple]]) -> None:
    raw = wiring.db.raw_connection()
    try:
        connection = raw.driver_connection
        if wiring.db.dialect.name == "postgresql":
            with connection.cursor() as cursor:
                for table in ("dossier", "process_instance", "work_item", "reminder_sent"):
                    columns = ", ".join(COLUMNS[table])
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows[table]:
                            copy.write_row(row)
            connection.commit()
        else:
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            for table in ("dossier", "process_instance", "work_item", "reminder_sent"):
                columns = COLUMNS[table]
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                   [tuple(_sqlite(v) for v in row) for row in rows[table]])
            cursor.execute("COMMIT")
            cursor.close()
    finally:
        raw.close()


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):  # as workflows.core.db stores aware datetimes: naive UTC text
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def _after_load(wiring: Wiring) -> None:
    with wiring.db.connect() as connection:
        if wiring.db.dialect.name == "postgresql":
            for table in ("dossier", "process_instance"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            connection.commit()
            # VACUUM as after any bulk load: otherwise autovacuum wakes for the inserted rows during the
            # query figures and competes with them for the two cores; CHECKPOINT so the load's dirty pages
            # are not written out in the middle of them either.
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.execute(text("VACUUM ANALYZE"))
            autocommit.execute(text("CHECKPOINT"))
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()
