"""Queries at size over HTTP (task list, dossier lookup by code and by ID number) and the reminder pass."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import Client, pct
from sqlalchemy import text
from sqlmodel import Session, select

from workflows.identity.models import Department
from workflows.reminders.jobs import due_reminders
from workflows.scheduler import REMINDERS
from workflows.wiring import Wiring


def _sample(wiring: Wiring, samples: int) -> list[tuple[str, int]]:
    """(code, id) of bulk-loaded dossiers of the demo department (PHONG_QLVH), spread over the table."""
    with Session(wiring.db) as session:
        department = session.exec(select(Department).where(Department.code == "PHONG_QLVH")).one()
        top = int(session.exec(text("SELECT max(id) FROM dossier")).one()[0])  # type: ignore[call-overload]
        rng = random.Random(top)
        found: list[tuple[str, int]] = []
        while len(found) < samples:
            ids = ",".join(str(rng.randrange(1, top + 1)) for _ in range(samples * 20))
            rows = session.exec(text(  # type: ignore[call-overload]
                f"SELECT code, id FROM dossier WHERE id IN ({ids}) AND created_by = 'bench' "
                f"AND department_id = {department.id}")).all()
            found.extend((str(c), int(i)) for c, i in rows)
    return found[:samples]


def _timed(fn: Any, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def measure(base: str, wiring: Wiring, *, samples: int) -> dict[str, Any]:
    client = Client(base)
    picked = _sample(wiring, samples)
    for user in ("chuyen_vien", "mot_cua"):
        client.headers(user)
    first = client.call("GET", "/api/v1/tasks", user="chuyen_vien", params={"scope": "mine"})

    def tasks(_: int) -> None:
        client.call("GET", "/api/v1/tasks", user="chuyen_vien", params={"scope": "mine"})

    def by_code(i: int) -> None:
        client.call("GET", f"/api/v1/dossiers/{picked[i % len(picked)][0]}", user="mot_cua")

    def by_id(i: int) -> None:
        page = client.call("POST", "/api/v1/dossiers/search-by-id", user="mot_cua", json={
            "id_number": f"09{picked[i % len(picked)][1]:010d}", "reason": "Kiểm tra hồ sơ công dân hỏi"})
        assert page["total"] == 1, page["total"]

    today = datetime.now(UTC).date()
    month = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    client.headers("giam_sat_tinh")

    def statistics(_: int) -> None:  # the province's report: every agency, one SQL aggregate (issue 20)
        client.call("GET", "/api/v1/registers/statistics", user="giam_sat_tinh", params=month)

    out: dict[str, Any] = {"mine_total": first["total"]}
    for name, fn, repeat in (("tasks", tasks, samples), ("code", by_code, samples), ("id", by_id, samples),
                             ("statistics", statistics, max(3, samples // 10))):
        fn(0)  # warm
        times = _timed(fn, repeat)
        out[name] = {"p50": pct(times, 50), "p95": pct(times, 95), "n": len(times)}
    return out


def reminder_pass(wiring: Wiring) -> dict[str, Any]:
    """The scheduler's reminder job once (in this process: `Scheduler.run_once`), over every open dossier,
    and the due-reminder scan alone."""
    now = datetime.now(UTC)
    with Session(wiring.db) as session:
        open_dossiers = int(session.exec(text(  # type: ignore[call-overload]
            "SELECT count(*) FROM dossier WHERE finished_at IS NULL")).one()[0])
        t0 = time.perf_counter()
        due = due_reminders(session, services=wiring.domain, now=now, limit=200)
        scan_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    recorded = wiring.scheduler.run_once(REMINDERS)
    seconds = time.perf_counter() - t0
    state = wiring.scheduler.state()["jobs"][REMINDERS]
    return {"open": open_dossiers, "scan_ms": scan_ms, "first_batch": len(due), "seconds": seconds,
            "recorded": recorded, "error": state["last_error"]}
