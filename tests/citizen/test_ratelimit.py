"""The database rate limiter on both backends: the sliding estimate, Retry-After, refusals not counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from workflows.core import ratelimit
from workflows.core.ratelimit import Limit, TooManyRequests

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # on a window boundary
FIVE = Limit(5, 60)


class TestHit:
    def test_limit_then_retry_after_is_honest(self, db: Engine) -> None:
        for _ in range(5):
            ratelimit.hit(db, key="k", limit=FIVE, now=START)
        with pytest.raises(TooManyRequests) as refused:
            ratelimit.hit(db, key="k", limit=FIVE, now=START + timedelta(seconds=10))
        wait = refused.value.retry_after
        assert refused.value.status_code == 429 and refused.value.error_code == "rate_limited"
        for _ in range(3):  # knocking while refused does not extend the wait
            with pytest.raises(TooManyRequests):
                ratelimit.hit(db, key="k", limit=FIVE, now=START + timedelta(seconds=11))
        with pytest.raises(TooManyRequests):
            ratelimit.hit(db, key="k", limit=FIVE, now=START + timedelta(seconds=10 + wait - 3))
        ratelimit.hit(db, key="k", limit=FIVE, now=START + timedelta(seconds=10 + wait))

    def test_sliding_window_remembers_the_previous_one(self, db: Engine) -> None:
        for _ in range(5):
            ratelimit.hit(db, key="s", limit=FIVE, now=START + timedelta(seconds=59))
        # One second into the next window almost all of the previous one still overlaps.
        with pytest.raises(TooManyRequests):
            ratelimit.hit(db, key="s", limit=FIVE, now=START + timedelta(seconds=61))
        ratelimit.hit(db, key="s", limit=FIVE, now=START + timedelta(seconds=119))

    def test_keys_are_independent_and_clients_pseudonymous(self, db: Engine) -> None:
        for _ in range(5):
            ratelimit.hit(db, key="a", limit=FIVE, now=START)
        ratelimit.hit(db, key="b", limit=FIVE, now=START)
        key = ratelimit.client_key(secret="s" * 32, client="203.0.113.7")
        assert "203" not in key and key == ratelimit.client_key(secret="s" * 32, client="203.0.113.7")
        assert key != ratelimit.client_key(secret="t" * 32, client="203.0.113.7")
