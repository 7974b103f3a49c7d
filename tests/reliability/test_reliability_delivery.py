"""Zalo faults and crashes against the real processes: `motcua serve --no-scheduler` + `motcua worker`.

While dossiers are walked over HTTP, the emulator fails a third of Zalo calls (HTTP 500, timeouts, -32 rate
limit, expired tokens — each expiry makes the worker rotate the refresh token) and the worker is killed
with SIGKILL five times at random moments and started again. Afterwards every message the outbox holds
reached the citizen's inbox exactly once, in step order per dossier; nothing is left pending, dead or
unreachable; every instance loads and its work items match. The server, killed in the middle of many
concurrent completions, leaves each dossier whole before or after its step.

`make test` runs the short version (~64 transitions); `make soak` the long one (1,000 transitions)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from reliability_checks import (
    STEPS,
    TRANSITIONS_PER_DOSSIER,
    Delivery,
    compare_inbox,
    complete,
    inbox_parts,
    instance_problems,
    intake,
    message_parts,
    outbox_by_subject,
    snapshot,
)
from reliability_system import System, wait_until
from sqlmodel import Session, col, func, select

from connectors.outbox.models import ACTIVE, SENT, OutboxMessage
from workflows.core.config import Settings

FAULTS = {"rate": 0.33, "kinds": ["http_500", "timeout", "rate_limit", "token_expired"], "stall_seconds": 1.5}
KILLS = 5
DRAIN_STALL_SECONDS = 90  # no message left the queue for this long: the relay is stuck, not slow
DRAIN_LIMIT_SECONDS = 900


def wait_while_draining(waiting: Callable[[], int], *, stall: float, limit: float) -> None:
    """Return once `waiting()` is 0; fail when it has not fallen for `stall` seconds, or after `limit`."""
    started = last_progress = time.monotonic()
    lowest = waiting()
    while lowest:
        now = time.monotonic()
        assert now - last_progress < stall, f"no message left the queue in {stall:.0f} s"
        assert now - started < limit, f"the queue still held messages after {limit:.0f} s"
        time.sleep(0.5)
        count = waiting()
        if count < lowest:
            lowest, last_progress = count, time.monotonic()


def make_citizens(system: System, count: int) -> list[str]:
    """Zalo users who follow the OA, share their phone and prove it with the one-time code, before faults
    start; returns user ids."""
    users = []
    for i in range(count):
        phone_84 = "84" + f"0912{i:06d}"[1:]
        user_id = requests.post(f"{system.base}/zalo-emulator/users", json={"phone": phone_84}, timeout=10).json()[
            "user_id"]
        for action, body in (("follow", None), ("submit-info", {"phone": phone_84, "name": f"Nguyễn Văn Thử {i}"})):
            response = requests.post(f"{system.base}/zalo-emulator/users/{user_id}/{action}", json=body, timeout=10)
            assert response.status_code == 200, response.text
        users.append(user_id)
    for user_id in users:  # the one-time code arrives in the account of the phone: it is sent back
        code = wait_until(lambda uid=user_id: [m["template_data"]["otp"] for m in inbox(system, uid)
                                               if m.get("channel") == "template_phone"], timeout=60, what="code")
        response = requests.post(f"{system.base}/zalo-emulator/users/{user_id}/send-text",
                                 json={"text": code[-1]}, timeout=10)
        assert response.status_code == 200, response.text
    for user_id in users:
        wait_until(lambda uid=user_id: any("Đã xác thực" in str(m.get("text")) for m in inbox(system, uid)),
                   timeout=60, what="phone proven")
    return users


def inbox(system: System, user_id: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{system.base}/zalo-emulator/inbox", params={"user_id": user_id},
                             timeout=10).json()["messages"])


class Killer:
    """SIGKILLs the worker when the transition count crosses each of `KILLS` random points, a random
    fraction of a second later, and starts it again after a random pause."""

    def __init__(self, system: System, *, total: int, rng: random.Random) -> None:
        self.system, self.rng = system, rng
        self.points = sorted(rng.randint(total // 10, total * 9 // 10) for _ in range(KILLS))
        self.kills = 0
        self.done = 0
        self.lock = threading.Lock()

    def transition_done(self) -> None:
        with self.lock:
            self.done += 1
            due = bool(self.points) and self.done >= self.points[0]
            if due:
                self.points.pop(0)
        if due:
            time.sleep(self.rng.uniform(0, 0.4))
            with self.lock:
                self.system.worker.kill()
                self.kills += 1
                time.sleep(self.rng.uniform(0, 1.0))
                self.system.worker.start()


def run_delivery(system: System, settings: Settings, figures: Counter[str], *, backend: str, citizens: int,
                 dossiers: int, threads: int, seed: int) -> None:
    rng = random.Random(seed)
    system.worker.start()
    users = make_citizens(system, citizens)
    response = requests.post(f"{system.base}/zalo-emulator/faults", json={**FAULTS, "seed": seed}, timeout=10)
    assert response.status_code == 200, response.text
    killer = Killer(system, total=dossiers * TRANSITIONS_PER_DOSSIER, rng=rng)
    codes: dict[int, str] = {}

    def walk(i: int) -> None:
        codes[i] = intake(system, i % citizens)
        killer.transition_done()
        for step in range(len(STEPS)):
            response = complete(system, codes[i], step)
            assert response.status_code == 200, response.text
            killer.transition_done()

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(walk, i) for i in range(dossiers)]:
            future.result()
    assert killer.kills == KILLS and system.worker.alive

    def waiting() -> int:
        with Session(system.db) as session:
            return int(session.exec(select(func.count()).select_from(OutboxMessage)
                                    .where(col(OutboxMessage.status).in_(ACTIVE))).one())
    at_the_end_of_the_walks = waiting()
    # The relay may end the walks far behind (on SQLite a worker in a process of its own meets the server's
    # writes at SQLite's busy handler, and a third of Zalo's answers are faults): the test asks that it keeps
    # draining to the end, not that it keeps up. How fast it delivers is the bench's figure (target 3).
    try:
        wait_while_draining(waiting, stall=DRAIN_STALL_SECONDS, limit=DRAIN_LIMIT_SECONDS)
    except AssertionError:
        with Session(system.db) as session:  # what is still waiting, for the report
            left = session.exec(select(OutboxMessage).where(col(OutboxMessage.status).in_(ACTIVE))).all()
            summary = Counter((m.channel, m.status, m.attempts, (m.last_error or "")[:80]) for m in left)
            earliest = min((m.next_attempt_at for m in left if m.next_attempt_at), default=None)
        raise AssertionError(f"{len(left)} messages still waiting ({at_the_end_of_the_walks} when "
                             f"the walks ended; seed {seed}; next attempt at the earliest {earliest}): "
                             f"{summary.most_common(8)}; worker alive: {system.worker.alive}") from None
    elapsed = time.monotonic() - started
    stats = requests.get(f"{system.base}/zalo-emulator/stats", timeout=10).json()

    # Exactly once per idempotency key, in step order per dossier, nothing lost.
    grouped = outbox_by_subject(system.db)
    result = Delivery()
    not_sent = [(r.idempotency_key, r.status, r.last_error) for rows in grouped.values() for r in rows
                if r.status != SENT]
    events = {code: [str((r.payload or {}).get("event")) for r in grouped.get(code, [])] for code in codes.values()}
    reference = events[codes[0]]
    for i, code in codes.items():
        expected = [part for row in grouped.get(code, []) for part in message_parts(row)]
        compare_inbox(expected, inbox_parts(inbox(system, users[i % citizens]), code), code, result)
    missing_rows = [code for code, seq in events.items() if seq != reference]
    corrupt = instance_problems(settings)

    prefix = f"{backend}: delivery"
    figures[f"{prefix} transitions"] += len(codes) * TRANSITIONS_PER_DOSSIER
    figures[f"{prefix} dossiers"] += len(codes)
    figures[f"{prefix} messages expected"] += result.messages
    figures[f"{prefix} Zalo calls"] += int(stats.get("calls", 0))
    figures[f"{prefix} faults injected"] += int(stats.get("faults", 0))
    figures[f"{prefix} token refreshes (rotations)"] += int(stats.get("refreshes", 0))
    figures[f"{prefix} worker SIGKILLs"] += killer.kills
    figures[f"{prefix} duplicates found"] += result.duplicates
    figures[f"{prefix} lost"] += result.lost + len(not_sent) + len(missing_rows)
    figures[f"{prefix} seconds"] += int(elapsed)

    assert not not_sent, not_sent[:10]
    assert len(reference) >= 5 and not missing_rows, (reference, {c: events[c] for c in missing_rows[:5]})
    assert result.duplicates == 0 and result.lost == 0 and result.out_of_order == 0, (
        result.problems[:10], explain(system, grouped, users, codes, result.problems[:3]))
    assert not result.problems, result.problems[:10]
    assert not corrupt, corrupt[:10]
    assert stats["faults"] > 0 and stats["refreshes"] > 0, stats


def explain(system: System, grouped: dict[str, list[OutboxMessage]], users: list[str], codes: dict[int, str],
            problems: list[str]) -> list[Any]:
    """For a failure message: the outbox rows of the dossiers in `problems` and what their citizen received."""
    out: list[Any] = []
    for i, code in codes.items():
        if not any(p.startswith(code) for p in problems):
            continue
        out.append([(r.id, r.idempotency_key, r.status, r.attempts, r.parts_done, r.channel_used,
                     (r.last_error or "")[:90], str(r.created_at), str(r.sent_at)) for r in grouped.get(code, [])])
        out.append([(m.get("type"), m.get("sent_at"), str(m.get("text") or m.get("file"))[:40])
                    for m in inbox(system, users[i % len(users)]) if code in str(m.get("text") or m.get("file"))])
    for entry in out:
        print(*entry, sep="\n", end="\n\n")  # shown in full with the failure report
    return out


class TestFaultsAndWorkerKills:
    # On PostgreSQL this run takes ~210 s against ~25 s on SQLite (the outbox drains slowly after the worker
    # kills: issue 22's relay work), which alone pushed `make test` past 20 minutes; it runs in `make soak`
    # until then. The SIGKILL-mid-transition test below still runs on both backends in `make test`.
    @pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.soak)],
                             indirect=True)
    def test_every_message_once_in_order(self, system: System, settings: Settings, backend: str,
                                         figures: Counter[str]) -> None:
        run_delivery(system, settings, figures, backend=backend, citizens=4, dossiers=8, threads=4, seed=2026)

    @pytest.mark.soak
    def test_soak_thousand_transitions(self, system: System, settings: Settings, backend: str,
                                       figures: Counter[str]) -> None:
        run_delivery(system, settings, figures, backend=backend, citizens=25, dossiers=125, threads=8,
                     seed=int(time.time()))


def run_server_kill(system: System, figures: Counter[str], *, backend: str, dossiers: int, seed: int) -> None:
    """Many dossiers at the same step; all completed at once; the server SIGKILLed mid-way, restarted."""
    rng = random.Random(seed)
    codes = [intake(system, i) for i in range(dossiers + 1)]
    reference = codes.pop()
    before_ref = snapshot(system.db, reference)
    assert complete(system, reference, 0).status_code == 200
    after_ref = snapshot(system.db, reference)
    assert after_ref != before_ref
    before = {code: snapshot(system.db, code) for code in codes}
    answers: dict[str, int | str] = {}
    barrier = threading.Barrier(len(codes) + 1)

    def go(code: str) -> None:
        barrier.wait()
        try:
            answers[code] = complete(system, code, 0).status_code
        except requests.RequestException as exc:
            answers[code] = type(exc).__name__

    threads = [threading.Thread(target=go, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    barrier.wait()
    time.sleep(rng.uniform(0.05, 0.5))
    system.server.kill()
    for thread in threads:
        thread.join(90)
    system.start_server()

    whole_before = whole_after = 0
    problems = []
    for code in codes:
        now = snapshot(system.db, code)
        shifted = before[code].__class__(
            status=after_ref.status, steps=after_ref.steps,
            control_log=before[code].control_log + after_ref.control_log - before_ref.control_log,
            outbox=before[code].outbox + after_ref.outbox - before_ref.outbox, open_items=after_ref.open_items)
        if now == before[code] and answers.get(code) != 200:
            whole_before += 1
        elif now == shifted:
            whole_after += 1
        else:
            problems.append((code, answers.get(code), before[code], now, shifted))
    problems += instance_problems(system.settings)
    figures[f"{backend}: server SIGKILL — transitions in flight"] += len(codes)
    figures[f"{backend}: server SIGKILL — whole before"] += whole_before
    figures[f"{backend}: server SIGKILL — whole after"] += whole_after
    figures[f"{backend}: server SIGKILL — half-done (must be 0)"] += len(problems)
    assert not problems, problems[:5]
    # The system goes on: each dossier can still be completed from where it is.
    for code in codes[:3]:
        step = 0 if snapshot(system.db, code) == before[code] else 1
        assert complete(system, code, step).status_code == 200


class TestServerKilledMidTransition:
    def test_each_transition_whole_or_not_at_all(self, system: System, backend: str,
                                                 figures: Counter[str]) -> None:
        run_server_kill(system, figures, backend=backend, dossiers=16, seed=11)

    @pytest.mark.soak
    def test_soak_repeated_server_kills(self, system: System, backend: str, figures: Counter[str]) -> None:
        for round_ in range(5):
            run_server_kill(system, figures, backend=backend, dossiers=24, seed=round_)
