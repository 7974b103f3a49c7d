"""Messages held back by one of Zalo's sending rules, by rule, as a Prometheus gauge counted at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from connectors.outbox import PENDING, OutboxMessage
from connectors.outbox.relay import WAITING


def waiting_by_rule(session: Session) -> dict[str, int]:
    """Pending messages whose last outcome was a sending rule (`last_error` "waiting:<rule>: ..."), by rule."""
    rows = session.exec(select(OutboxMessage.last_error).where(
        OutboxMessage.status == PENDING, col(OutboxMessage.last_error).like(f"{WAITING}%"))).all()
    counts: dict[str, int] = {}
    for error in rows:
        rule = str(error)[len(WAITING):].split(":", 1)[0]
        counts[rule] = counts.get(rule, 0) + 1
    return counts


class WaitingRuleCollector:
    """`motcua_outbox_waiting_rule{rule="night_window|daily_quota|user_daily_quota|wallet_empty"}`: a
    `wallet_empty` count above zero means the OA's ZBS wallet needs a top-up (connectors/README.md)."""

    def __init__(self, db: Engine) -> None:
        self._db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("motcua_outbox_waiting_rule",
                                   "Outbox messages waiting for a Zalo sending rule to lift", labels=["rule"])
        with Session(self._db) as session:
            counts = waiting_by_rule(session)
        for rule in ("night_window", "daily_quota", "user_daily_quota", "wallet_empty"):
            counts.setdefault(rule, 0)
        for rule, count in sorted(counts.items()):
            family.add_metric([rule], float(count))
        yield family

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no scrape at registration time (the database may not be ready)
