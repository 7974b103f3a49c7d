"""Liveness, readiness and Prometheus metrics.

Outside development, the metrics and the readiness details (database error, scheduler state) are for
operators only: the bearer token `MOTCUA_HTTP__METRICS_TOKEN` (Prometheus) or an administrator's access
token. Anyone else learns from `/readyz` only whether the process is ready (its status code)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.security.utils import get_authorization_scheme_param
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlmodel import Session

from api.auth import BearerToken
from api.deps import WiringDep
from workflows.core.errors import Forbidden, MotcuaError, NotAuthenticated
from workflows.dossiers import national_sync
from workflows.identity import tokens
from workflows.identity.models import Role
from workflows.wiring import Wiring
from workflows.zalo import grant

router = APIRouter(tags=["operations"])

OPERATORS_ONLY = "Chỉ người vận hành (mã thông báo giám sát) hoặc quản trị hệ thống được xem thông tin này."


def _operator(wiring: Wiring, token: str | None) -> bool | None:
    """True for the metrics token or an administrator; False for another official; None without a
    valid token."""
    if wiring.settings.operations_open:
        return True
    if not token:
        return None
    expected = wiring.settings.http.metrics_token
    if expected is not None and hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        return True
    with Session(wiring.db, expire_on_commit=False) as session:
        try:
            official = tokens.official_from_access_token(
                session, token=token, settings=wiring.settings.auth, now=wiring.clock.now())
        except MotcuaError:
            return None
        return official.has_role(Role.QUAN_TRI)


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers; details (scheduler state) for operators")
def readyz(wiring: WiringDep, request: Request, response: Response) -> dict[str, object]:
    try:
        with wiring.db.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the probe reports, it does not fail the request
        database = f"error: {type(exc).__name__}"
        response.status_code = 503
    status = "ok" if database == "ok" else "unavailable"
    # The token is optional here (a probe needs none), so it is read by hand, not declared as security.
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if not _operator(wiring, token if scheme.lower() == "bearer" else None):
        return {"status": status}
    return {"status": status, "database": database, "scheduler": wiring.scheduler_state(),
            "zalo_templates": wiring.templates.readiness(),
            "zalo": _zalo(wiring), "dvcqg": _dvcqg(wiring)}


def _dvcqg(wiring: Wiring) -> dict[str, object]:
    """The national-portal adapter and the status sync: last success, last error, rows waiting and dead."""
    try:
        with Session(wiring.db) as session:
            counts = national_sync.counts(session)
        adapter = wiring.dvcqg_state()
        return {"enabled": wiring.settings.dvcqg.sync.enabled,
                "last_success_at": adapter.last_success_at.isoformat() if adapter.last_success_at else None,
                "last_error": adapter.last_error, "waiting": counts.get("pending", 0) + counts.get("sending", 0),
                "dead": counts.get("dead", 0)}
    except Exception as exc:  # noqa: BLE001 - a probe reports, it does not fail
        return {"state": "unknown", "error": type(exc).__name__}


def _zalo(wiring: Wiring) -> dict[str, object]:
    """The OA connection (`refresh_failed`: an administrator must grant again); never a token."""
    try:
        state = wiring.tokens.connection_state()
        return grant.connection_out(state, now=wiring.clock.now()).model_dump(mode="json")
    except Exception as exc:  # noqa: BLE001 - a probe reports, it does not fail
        return {"state": "unknown", "error": type(exc).__name__}


@router.get("/metrics", summary="Prometheus metrics (operators)", response_class=Response)
def metrics(wiring: WiringDep, token: BearerToken) -> Response:
    allowed = _operator(wiring, token)
    if allowed is None:
        raise NotAuthenticated(OPERATORS_ONLY, code="operator_token_required")
    if not allowed:
        raise Forbidden(OPERATORS_ONLY, code="operator_only")
    return Response(generate_latest(wiring.metrics_registry), media_type=CONTENT_TYPE_LATEST)
