"""The outbox's messages by state as a Prometheus gauge, counted when Prometheus scrapes."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflows.notifications.queries import counts_by_state


class OutboxStateCollector:
    """`motcua_outbox_messages{state="waiting|dead|unreachable|sent"}`: a growing `dead` or `unreachable`
    count is the alert that messages need an administrator (`/api/v1/admin/messages`)."""

    def __init__(self, db: Engine) -> None:
        self._db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("motcua_outbox_messages", "Outbox messages by state", labels=["state"])
        with Session(self._db) as session:
            counts = counts_by_state(session)
        for state, count in counts.items():
            family.add_metric([state.value], float(count))
        yield family

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no scrape at registration time (the database may not be ready)
