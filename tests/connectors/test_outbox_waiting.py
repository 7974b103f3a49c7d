"""A message whose attempts fail before anything is sent (Zalo's rate limit: it processed nothing) waits past
its attempts at the longest backoff instead of dying; a failure of the send itself still dead-letters it."""

from __future__ import annotations

from datetime import timedelta

from test_outbox import Citizens, linked, make_relay, put, rows
from zalo_world import ZaloWorld

from connectors.outbox import DEAD, PENDING


def test_a_rate_limited_message_waits_past_its_attempts_and_then_goes_once(zalo: ZaloWorld) -> None:
    citizens = Citizens()
    user = linked(zalo, citizens, "c1")
    put(zalo.db, zalo.clock.now, "S1:1", subject="S1", recipient="c1", text="chờ Zalo")
    relay = make_relay(zalo, citizens, concurrency=1, max_attempts=2)
    zalo.faults(1.0, ["rate_limit"])
    for _ in range(5):  # well past the two attempts
        relay.run_once()
        zalo.clock.advance(timedelta(minutes=2))
    [row] = rows(zalo.db)
    assert (row.status, row.attempts) == (PENDING, 2), row.last_error
    assert "-32" in (row.last_error or "")
    zalo.faults(0, [])
    zalo.clock.advance(timedelta(minutes=2))
    while relay.run_once().claimed:
        pass
    assert [m["text"] for m in zalo.inbox(user_id=user["user_id"])] == ["chờ Zalo"]


def test_a_failing_send_still_dies_after_its_attempts(zalo: ZaloWorld) -> None:
    citizens = Citizens()
    linked(zalo, citizens, "c1")
    put(zalo.db, zalo.clock.now, "S1:1", subject="S1", recipient="c1", text="lỗi máy chủ")
    relay = make_relay(zalo, citizens, concurrency=1, max_attempts=2)
    zalo.faults(1.0, ["http_500"])
    for _ in range(3):
        relay.run_once()
        zalo.clock.advance(timedelta(minutes=2))
    [row] = rows(zalo.db)
    assert (row.status, row.attempts) == (DEAD, 2)
