"""The FastAPI application factory: everything is built in the lifespan from the settings passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.routers import auth as auth_routes
from api.routers import dossiers as dossier_routes
from api.routers import health
from api.routers import procedures as procedure_routes
from api.routers import tasks as task_routes
from api.routers import notifications as notification_routes
from api.routers import feedback as feedback_routes
from api.routers import news as news_routes
from api.routers import public as public_routes
from api import web
from workflows.core.clock import Clock
from workflows.core.config import Settings
from workflows.wiring import Wiring, build_wiring

API_PREFIX = "/api/v1"

DESCRIPTION = """Back end of the provincial administrative-procedure system (hệ thống giải quyết TTHC).

Errors are `application/problem+json` with a stable `code` and a Vietnamese `detail`."""


def create_app(settings: Settings, *, clock: Clock | None = None, start_background: bool = True) -> FastAPI:
    """Build the app. `start_background=False` leaves the scheduler and relay out (tests drive them)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wiring: Wiring = build_wiring(settings, clock=clock)
        app.state.wiring = wiring
        if start_background:
            wiring.start_background()
        try:
            yield
        finally:
            wiring.close()

    app = FastAPI(title="motcua", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(auth_routes.router)
    app.include_router(dossier_routes.router)
    app.include_router(task_routes.router)
    app.include_router(procedure_routes.router)
    app.include_router(notification_routes.router)
    app.include_router(public_routes.router)
    app.include_router(feedback_routes.router)
    app.include_router(news_routes.router)
    app.include_router(web.build_router())
    return app
