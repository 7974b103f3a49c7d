"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import WiringDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers; scheduler state")
def readyz(wiring: WiringDep, response: Response) -> dict[str, object]:
    try:
        with wiring.db.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the probe reports, it does not fail the request
        database = f"error: {type(exc).__name__}"
        response.status_code = 503
    return {"status": "ok" if database == "ok" else "unavailable", "database": database,
            "scheduler": wiring.scheduler_state()}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(wiring: WiringDep) -> Response:
    return Response(generate_latest(wiring.metrics_registry), media_type=CONTENT_TYPE_LATEST)
