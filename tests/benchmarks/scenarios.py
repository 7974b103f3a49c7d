"""What the benchmark measures on a running system: the raw engine cycle, complete-task over HTTP with 1 and
8 clients, notification latency, timer lateness. Each returns plain figures (milliseconds unless named)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import Client, pct
from sqlmodel import Session, col, func, select

from connectors.outbox import OutboxMessage
from connectors.outbox.models import ACTIVE
from engine.models import ProcessInstance
from workflows.core.db import session_scope
from workflows.wiring import Wiring

ROLE_USER = {"MOT_CUA": "mot_cua", "LANH_DAO_PHONG": "lanh_dao_phong", "CHUYEN_VIEN": "chuyen_vien",
             "LANH_DAO_SO": "lanh_dao_so", "VAN_THU": "van_thu"}
STEP_DATA: dict[str, dict[str, Any]] = {
    "tiep_nhan": {"quyet_dinh": "tiep_nhan"},
    "phan_cong": {"case_officer": "chuyen_vien"},
    "kiem_tra_thuc_te": {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Cơ sở đạt yêu cầu"},
    "tham_dinh": {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện cấp phép"},
    "xem_xet": {"quyet_dinh": "trinh_ky", "y_kien": "Đồng ý trình ký"},
    "ky_duyet": {"quyet_dinh": "ky", "y_kien": "Đồng ý"},
    "phat_hanh": {"so_van_ban": "125/GP-SVHTTDL", "ngay_ban_hanh": "2026-11-27"},
    "tra_ket_qua": {"hinh_thuc_tra": "truc_tiep"},
}
_phones = itertools.count(1)


@dataclass
class Walk:
    """One dossier walked step by step by one client."""

    code: str
    task: dict[str, Any] | None  # {"id"/"task_id", "step", "role", "assignee"}
    transitions: list[tuple[float, float]] = field(default_factory=list)  # (start, end) epoch seconds


def _task_id(task: dict[str, Any]) -> str:
    return str(task.get("task_id") or task.get("id"))


def _user(task: dict[str, Any]) -> str:
    return str(task.get("assignee") or ROLE_USER[str(task["role"])])


def new_dossiers(client: Client, count: int, *, notify: bool = True) -> list[Walk]:
    """Counter intakes accepted at once (Mẫu 01 issued, citizen notified); each applicant has a Zalo phone
    known to the emulator, so every notification is delivered (template by phone)."""
    walks = []
    for _ in range(count):
        n = next(_phones)
        phone = f"09{n:08d}"
        client.http.post(f"{client.emulator}/users", json={"phone": "84" + phone[1:]}, timeout=10)
        t0 = time.time()
        body = {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": notify, "accept": True,
                "applicant": {"full_name": f"Nguyễn Văn Thử {n}", "id_number": f"0011900{n:05d}", "phone": phone,
                              "address": "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang"}}
        created = client.call("POST", "/api/v1/dossiers", user="mot_cua", expect=201, json=body)
        steps = created["current_steps"]
        walks.append(Walk(code=created["code"], task=steps[0] if steps else None,
                          transitions=[(t0, time.time())]))
    return walks


def raw_engine_cycles(wiring: Wiring, walks: list[Walk], limit: int) -> list[float]:
    """In process, no HTTP and no domain bookkeeping: `engine.complete` (load → complete one user task, its
    service tasks → save) and the commit, per step of real karaoke dossiers."""
    times: list[float] = []
    for walk in walks:
        item_id = _task_id(walk.task) if walk.task else None
        step = walk.task["step"] if walk.task else None
        user = _user(walk.task) if walk.task else ""
        while item_id and len(times) < limit:
            t0 = time.perf_counter()
            with session_scope(wiring.db) as session:
                result = wiring.engine.complete(session, work_item_id=item_id, data=STEP_DATA[str(step)],
                                                actor=user)
            times.append((time.perf_counter() - t0) * 1000)
            nxt = result.opened[0] if result.opened else None
            item_id, step = (nxt.id, nxt.element_id) if nxt else (None, None)
            user = (nxt.assignee or ROLE_USER.get(str(nxt.lane), "")) if nxt else ""
    return times


def _walk_until(client: Client, walks: list[Walk], count: int, latencies: list[float]) -> None:
    done = 0
    for walk in walks:
        while walk.task is not None and done < count:
            task = walk.task
            t0, p0 = time.time(), time.perf_counter()
            out = client.call("POST", f"/api/v1/tasks/{_task_id(task)}/complete", user=_user(task),
                              json={"data": STEP_DATA[str(task["step"])]})
            latencies.append((time.perf_counter() - p0) * 1000)
            walk.transitions.append((t0, time.time()))
            walk.task = out["next_tasks"][0] if out["next_tasks"] else None
            done += 1
        if done >= count:
            return


SETTLE_SECONDS = 3.0  # after the last completion: its messages, status syncs and webhooks, in the meter's window


def complete_tasks(base: str, clients: int, per_client: int, *, emulator: str | None = None,
                   meter: Callable[[], dict[str, float]] | None = None) -> dict[str, Any]:
    """`clients` threads, each completing the next step of its own dossiers, `per_client` completions each.
    With `meter` (counters: CPU seconds by role, messages by channel), `per_completion` gives how much each
    grew per completion, from the first completion to `SETTLE_SECONDS` after the last (the dossiers'
    intake before it is not counted)."""
    pools = []
    for _ in range(clients):
        client = Client(base, emulator)
        pools.append((client, new_dossiers(client, per_client // 7 + 1)))
        for user in ROLE_USER.values():  # log in before the clock starts: completions are measured, not argon2
            client.headers(user)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            _walk_until(pools[i][0], pools[i][1], per_client, latencies[i])
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    time.sleep(SETTLE_SECONDS if meter else 0)  # the intakes' own messages and syncs, before the window
    before = meter() if meter else {}
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    flat = [x for xs in latencies for x in xs]
    out = {"n": len(flat), "p50": pct(flat, 50), "p95": pct(flat, 95), "p99": pct(flat, 99),
           "throughput": len(flat) / wall, "walks": [w for _, ws in pools for w in ws]}
    if meter:
        time.sleep(SETTLE_SECONDS)
        after = meter()
        out["per_completion"] = {key: (after[key] - before.get(key, 0.0)) / len(flat) for key in after}
    return out


def outbox_rows(wiring: Wiring) -> dict[str, float]:
    """Outbox rows by channel (`zalo`, `dvcqg`): the messages the steps enqueued, counted before and after."""
    with Session(wiring.db) as session:
        rows = session.exec(select(OutboxMessage.channel, func.count()).group_by(OutboxMessage.channel)).all()
    return {channel: float(count) for channel, count in rows}


def notification_latency(wiring: Wiring, walks: list[Walk], timeout: float = 120) -> dict[str, Any]:
    """Transition commit (the HTTP response) → the emulator accepted the message (the relay stamps the outbox
    row's `sent_at` right after Zalo's 200 for its last part), over the citizens' messages of `walks`."""
    deadline = time.monotonic() + timeout
    # A session per look: on SQLite every transaction takes the write lock (BEGIN IMMEDIATE), so one session
    # held across the sleeps kept the server's relay from marking anything sent until the timeout.
    while _any_active(wiring) and time.monotonic() < deadline:
        time.sleep(0.5)
    with Session(wiring.db) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "dossier_event")).all()
    by_code = {w.code: w.transitions for w in walks}
    latencies, unsent = [], 0
    for row in rows:
        transitions = by_code.get(row.subject_ref)
        if transitions is None:
            continue
        if row.sent_at is None:
            unsent += 1
            continue
        created = row.created_at.timestamp()
        commit = next((end for start, end in transitions if start - 0.05 <= created <= end + 0.05), None)
        if commit is not None:
            latencies.append((row.sent_at.timestamp() - commit) * 1000)
    return {"n": len(latencies), "unsent": unsent, "p50": pct(latencies, 50), "p99": pct(latencies, 99)}


def _any_active(wiring: Wiring) -> bool:
    """Whether a citizen's message measured here still waits (the status sync's rows are not measured: on
    SQLite the national portal's download of a result can wait for the bench process's writes, fail, and
    hold its dossier's later sync rows back)."""
    with Session(wiring.db) as session:
        return session.exec(select(OutboxMessage.id).where(col(OutboxMessage.status).in_(ACTIVE),
                                                           OutboxMessage.kind == "dossier_event")).first() is not None


TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench_hen_gio" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="cho"/>
    <bpmn:intermediateCatchEvent id="cho" name="Chờ đến hạn">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">han</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="cho" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def timer_lateness(wiring: Wiring, *, waiting: int, measured: int, window: float) -> dict[str, Any]:
    """`waiting` instances wait on timeDate timers: `measured` of them fall due over `window` seconds from
    now (+ a lead for creating them), the rest a day later. The server's scheduler (its timer job at
    `timer_interval_seconds`) fires them; lateness = the instance's completed_at − its due time."""
    with session_scope(wiring.db) as session:
        wiring.engine.deploy(session, content=TIMER_BPMN.encode(), filename="bench_hen_gio.bpmn")
    later = datetime.now(UTC) + timedelta(days=1)
    _start_timers(wiring, [(f"BENCH-T-LATER-{i}", later) for i in range(waiting - measured)])
    lead = 5 + measured * 0.006  # creating them takes a few ms each
    first = datetime.now(UTC) + timedelta(seconds=lead)
    dues = [(f"BENCH-T-{i}", first + timedelta(seconds=window * i / measured)) for i in range(measured)]
    _start_timers(wiring, dues)
    due_by_key = dict(dues)
    deadline = time.monotonic() + lead + window + 60
    fired: dict[str, datetime] = {}
    while time.monotonic() < deadline and len(fired) < measured:
        time.sleep(1)
        with Session(wiring.db) as session:
            rows = session.exec(select(ProcessInstance.business_key, ProcessInstance.completed_at)
                                .where(ProcessInstance.process_key == "bench_hen_gio",
                                       col(ProcessInstance.completed_at).is_not(None))).all()
        fired = {key: at for key, at in rows if key in due_by_key}
    late = [(fired[k] - due_by_key[k]).total_seconds() * 1000 for k in fired]
    return {"n": len(late), "missing": measured - len(fired), "waiting": waiting, "p50": pct(late, 50),
            "p99": pct(late, 99)}


def _start_timers(wiring: Wiring, keys: list[tuple[str, datetime]], batch: int = 500) -> None:
    for i in range(0, len(keys), batch):
        with session_scope(wiring.db) as session:
            for key, due in keys[i:i + batch]:
                wiring.engine.start(session, process_key="bench_hen_gio", business_key=key,
                                    data={"han": due.isoformat()})
