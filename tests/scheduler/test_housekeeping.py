"""The housekeeping job drops ended rate-limit windows and forgotten login-throttle rows, keeps everything
that still changes an answer, and a login after its row was dropped starts afresh (both databases)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from workflows import housekeeping
from workflows.core.clock import ManualClock, ensure_utc
from workflows.core.config import LoginThrottleSettings, Settings
from workflows.core.models import RateLimitHit
from workflows.identity import throttle
from workflows.identity.models import LoginThrottle
from workflows.wiring import build_wiring


def test_drops_what_no_longer_changes_anything_and_keeps_the_rest(db: Engine, clock: ManualClock) -> None:
    now, login = clock.now(), LoginThrottleSettings(forget_after_minutes=24 * 60)
    day = timedelta(days=1)
    with Session(db) as session:
        session.add_all([
            RateLimitHit(key="lookup:a", window_start=now - 3 * day, count=4),       # ended long ago: dropped
            RateLimitHit(key="budget:b", window_start=now - day, count=20),          # a day's window still open
            RateLimitHit(key="lookup:a", window_start=now - timedelta(minutes=1), count=1),
            LoginThrottle(key="account:old", failures=3, last_failure_at=now - 2 * day),      # forgotten
            LoginThrottle(key="account:reset", failures=0, last_failure_at=now - 2 * day),    # forgotten
            LoginThrottle(key="client:recent", failures=7, last_failure_at=now - timedelta(hours=3)),
            LoginThrottle(key="account:locked", failures=12, last_failure_at=now - 2 * day,
                          blocked_until=now + timedelta(minutes=5)),                 # its wait still runs
        ])
        session.commit()

    removed = housekeeping.run(db, now=now, login=login)

    with Session(db) as session:
        windows = sorted((hit.key, ensure_utc(hit.window_start)) for hit in session.exec(select(RateLimitHit)))
        counters = sorted(row.key for row in session.exec(select(LoginThrottle)))
    assert removed == 3
    assert windows == [("budget:b", now - day), ("lookup:a", now - timedelta(minutes=1))]
    assert counters == ["account:locked", "client:recent"]
    assert housekeeping.run(db, now=now, login=login) == 0


def test_a_login_after_its_counter_was_dropped_starts_afresh(db: Engine, clock: ManualClock) -> None:
    login = LoginThrottleSettings(forget_after_minutes=60)
    first = throttle.begin(db, username="mot_cua", client="c1", settings=login, secret="s", now=clock.now())
    clock.advance(timedelta(hours=2))
    assert housekeeping.run(db, now=clock.now(), login=login) == 2  # the account's row and the client's
    again = throttle.begin(db, username="mot_cua", client="c1", settings=login, secret="s", now=clock.now())
    assert (first.account.failures, again.account.failures, again.client.failures) == (1, 1, 1)


def test_the_scheduler_runs_it(settings: Settings, clock: ManualClock, db: Engine) -> None:
    wiring = build_wiring(settings, clock=clock)
    try:
        assert housekeeping.JOB in wiring.scheduler.jobs
        assert wiring.scheduler.run_once(housekeeping.JOB) == 0  # an empty database: nothing to drop
        assert wiring.scheduler.state()["jobs"][housekeeping.JOB]["runs"] == 1
    finally:
        wiring.close()
