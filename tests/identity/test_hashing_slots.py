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
