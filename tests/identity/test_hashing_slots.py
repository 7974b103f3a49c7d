"""Logins run argon2 (64 MiB each) at most `auth.max_concurrent_hashes` at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session

from workflows.identity import service
from workflows.identity.seed import DEMO_PASSWORD, seed_demo


class CountingSlots(service.HashingSlots):
    """The real slots, counting how many holders are inside at once."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.inside = self.peak = 0
        self._count = threading.Lock()

    def hold(self):  # type: ignore[no-untyped-def]
        outer = super().hold()

        class Counted:
            def __enter__(inner) -> None:  # noqa: N805 - a context manager of the enclosing slots
                outer.__enter__()
                with self._count:
                    self.inside += 1
                    self.peak = max(self.peak, self.inside)

            def __exit__(inner, *exc: object) -> None:  # noqa: N805
                with self._count:
                    self.inside -= 1
                outer.__exit__(*exc)

        return Counted()


def test_concurrent_logins_verify_at_most_the_limit_at_once(db) -> None:  # type: ignore[no-untyped-def]
    with Session(db) as session:
        seed_demo(session)
        session.commit()
    slots = CountingSlots(2)

    def login(username: str) -> str:
        with Session(db) as session:
            return service.authenticate(session, username=username, password=DEMO_PASSWORD, slots=slots).username

    users = ["mot_cua", "chuyen_vien", "lanh_dao_phong", "van_thu", "lanh_dao_so", "giam_sat"]
    with ThreadPoolExecutor(len(users)) as pool:
        assert sorted(pool.map(login, users)) == sorted(users)
    assert slots.peak <= 2  # six logins at once, never more than two argon2 runs
    if db.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already runs one login at a time
        assert slots.peak == 2
    assert slots.inside == 0


def test_a_freed_slot_goes_to_the_longest_waiter() -> None:
    """First come, first served: a slot freed while logins wait is handed to the oldest of them, so a login
    arriving later (which would find the slot free for an instant) cannot overtake it."""
    slots = service.HashingSlots(1)
    order: list[int] = []

    def login(number: int) -> None:
        with slots.hold():
            order.append(number)

    threads = [threading.Thread(target=login, args=(number,)) for number in range(5)]
    with slots.hold():  # the slot is busy while the five queue, one after the other
        for queued, thread in enumerate(threads, start=1):
            thread.start()
            while slots.waiting < queued:
                threading.Event().wait(0.001)
    late = threading.Thread(target=login, args=(99,))
    late.start()  # while the five may still be queued: without the hand-over it could find the slot free
    for thread in [*threads, late]:
        thread.join(timeout=10)
    assert order[:5] == [0, 1, 2, 3, 4]
    assert order[5] == 99
    assert slots.waiting == 0


def _peak_inside(first: service.HashingSlots, second: service.HashingSlots) -> int:
    """How many holders of `first` and `second` were inside at once, three threads on each, each holding
    its slot for a moment."""
    guard, inside, peak = threading.Lock(), [0], [0]

    def hold(slots: service.HashingSlots) -> None:
        with slots.hold():
            with guard:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            threading.Event().wait(0.05)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=hold, args=(slots,)) for slots in (first, second) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return peak[0]


def test_processes_sharing_a_lock_file_run_one_argon2_at_a_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`serve --workers N` gives its processes one lock file: the slots each process builds (two here, as two
    processes would) then let one holder in at a time between them; without it, one each."""
    lock_file = tmp_path / "argon2.lock"
    assert _peak_inside(service.HashingSlots(1, lock_file=lock_file),
                        service.HashingSlots(1, lock_file=lock_file)) == 1
    assert _peak_inside(service.HashingSlots(1), service.HashingSlots(1)) == 2
