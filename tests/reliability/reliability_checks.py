"""Walking dossiers over HTTP and checking the database afterwards (imported by module name)."""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from reliability_system import System
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, col, select

from connectors.outbox.models import OutboxMessage
from engine.models import ProcessInstance, WorkItem
from workflows.core.config import Settings
from workflows.dossiers.models import ControlLogEntry, Dossier
from workflows.wiring import Wiring, build_wiring

# Who completes each step of a karaoke dossier accepted at the counter, with what (tests/http_api/flows.py).
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("lanh_dao_phong", {"case_officer": "chuyen_vien"}),
    ("chuyen_vien", {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"}),
    ("chuyen_vien", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"}),
    ("lanh_dao_phong", {"quyet_dinh": "trinh_ky"}),
    ("lanh_dao_so", {"quyet_dinh": "ky"}),
    ("van_thu", {"so_van_ban": "125/GP-SVHTTDL"}),
    ("mot_cua", {"hinh_thuc_tra": "truc_tiep"}),
]
TRANSITIONS_PER_DOSSIER = 1 + len(STEPS)  # the intake, then each step


def phone(i: int) -> str:
    return f"0912{i:06d}"


def id_number(i: int) -> str:
    return f"00119{i:07d}"


def intake(system: System, i: int) -> str:
    """A counter intake; sent again, as a client is told to, when an overloaded server answers 503 "busy"
    (on SQLite a request that waited its whole turn for the write lock: nothing of it was written)."""
    for _ in range(3):
        response = system.call("POST", "/api/v1/dossiers", user="mot_cua", json={
            "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True, "accept": True,
            "applicant": {"full_name": f"Nguyễn Văn Thử {i}", "phone": phone(i), "id_number": id_number(i),
                          "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang"}})
        if response.status_code != 503:
            break
        time.sleep(float(response.headers["Retry-After"]))
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def current_task(system: System, code: str) -> tuple[str, str]:
    """(task id, user who may complete it) of the dossier's single current step."""
    detail = system.call("GET", f"/api/v1/dossiers/{code}", user="mot_cua").json()
    steps = detail["current_steps"]
    assert len(steps) == 1, (code, detail["status"], detail["incident"], steps)
    step = steps[0]
    user = step["assignee"] or {"MOT_CUA": "mot_cua", "LANH_DAO_PHONG": "lanh_dao_phong",
                                 "CHUYEN_VIEN": "chuyen_vien", "LANH_DAO_SO": "lanh_dao_so",
                                 "VAN_THU": "van_thu"}[step["role"]]
    return str(step["task_id"]), user


def complete(system: System, code: str, step: int) -> requests.Response:
    task_id, user = current_task(system, code)
    assert user == STEPS[step][0], (code, step, user)
    return system.call("POST", f"/api/v1/tasks/{task_id}/complete", user=user, json={"data": STEPS[step][1]})


# --- checks afterwards ----------------------------------------------------------------------------------


def message_parts(row: OutboxMessage) -> list[tuple[str, str]]:
    """What the citizen's inbox shows for one sent outbox row: its text, then its files (by filename)."""
    payload = row.payload or {}
    parts: list[tuple[str, str]] = []
    text = unicodedata.normalize("NFC", str(payload.get("text") or "")).strip()
    if text:
        parts.append(("text", text))
    refs = [payload.get("attachment")] + list(payload.get("attachments") or [])
    parts += [("file", str(ref.get("filename"))) for ref in refs if isinstance(ref, dict) and ref.get("document_id")]
    return parts


def inbox_parts(messages: list[dict[str, Any]], code: str) -> list[tuple[str, str]]:
    out = []
    for m in messages:
        if m["type"] == "file":
            value = str((m.get("file") or {}).get("filename") or "")
        else:
            value = unicodedata.normalize("NFC", str(m.get("text") or "")).strip()
        if code in value:
            out.append((m["type"], value))
    return out


@dataclass
class Delivery:
    duplicates: int = 0
    lost: int = 0
    out_of_order: int = 0
    messages: int = 0
    problems: list[str] = field(default_factory=list)


def compare_inbox(expected: list[tuple[str, str]], got: list[tuple[str, str]], code: str, into: Delivery) -> None:
    """Exactly once each, in outbox order. File parts whose filename does not name the dossier are skipped
    (they cannot be told apart across dossiers)."""
    expected = [p for p in expected if code in p[1]]
    into.messages += len(expected)
    want, have = Counter(expected), Counter(got)
    into.duplicates += sum(max(0, n - 1) for n in have.values())
    into.lost += sum(max(0, n - have[p]) for p, n in want.items())
    unexpected = [p for p in have if p not in want]
    if unexpected:
        into.problems.append(f"{code}: unexpected {unexpected}")
    seen_order = list(dict.fromkeys(got))
    if [p for p in seen_order if p in want] != [p for p in dict.fromkeys(expected) if p in have]:
        into.out_of_order += 1
        into.problems.append(f"{code}: order {seen_order} != {expected}")
    if want != have:
        extra = {f"{kind}: {value[:70]}": n - want[(kind, value)] for (kind, value), n in have.items()
                 if n > want[(kind, value)]}
        missing = [f"{kind}: {value[:70]}" for (kind, value), n in want.items() if have[(kind, value)] < n]
        into.problems.append(f"{code}: extra {extra} missing {missing}")


def outbox_by_subject(db: DbEngine) -> dict[str, list[OutboxMessage]]:
    with Session(db) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.subject_ref),
                                                           col(OutboxMessage.sequence), col(OutboxMessage.id))).all()
    grouped: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        grouped.setdefault(row.subject_ref, []).append(row)
    return grouped


def instance_problems(settings: Settings) -> list[str]:
    """Every instance loads, and its open work items are exactly its READY manual tasks."""
    wiring = build_wiring(settings)
    try:
        return _instance_problems(wiring)
    finally:
        wiring.close()


def _instance_problems(wiring: Wiring) -> list[str]:
    problems = []
    with Session(wiring.db) as session:
        for row in session.exec(select(ProcessInstance)).all():
            try:
                wiring.engine.instance_data(session, instance_id=row.id or 0)
                # Engine internals on purpose: the work-item table must mirror the restored workflow.
                wf = wiring.engine._load(session, row, wiring.clock.now(), actor=None)
            except Exception as exc:  # noqa: BLE001 - any failure to load is corruption
                problems.append(f"instance {row.id} does not load: {type(exc).__name__}: {exc}")
                continue
            ready = {str(t.id) for t in wf.get_tasks(state=TaskState.READY, manual=True)}
            open_items = set(session.exec(select(WorkItem.id).where(WorkItem.instance_id == row.id,
                                                                     WorkItem.state == "open")).all())
            if ready != open_items:
                problems.append(f"instance {row.id} ({row.business_key}): ready {ready} != open {open_items}")
    return problems


@dataclass(frozen=True)
class Snapshot:
    status: str
    steps: tuple[str, ...]
    control_log: int
    outbox: int
    open_items: int


def snapshot(db: DbEngine, code: str) -> Snapshot:
    with Session(db) as session:
        dossier = session.exec(select(Dossier).where(Dossier.code == code)).one()
        items = session.exec(select(WorkItem).where(WorkItem.business_key == code, WorkItem.state == "open")).all()
        logs = session.exec(select(ControlLogEntry.id).where(ControlLogEntry.dossier_id == dossier.id)).all()
        outbox = session.exec(select(OutboxMessage.id).where(OutboxMessage.subject_ref == code)).all()
        return Snapshot(status=str(dossier.status), steps=tuple(sorted(i.element_id for i in items)),
                        control_log=len(logs), outbox=len(outbox), open_items=len(items))
