"""The FastAPI application factory: everything is built in the lifespan from the settings passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import docs as api_docs
from api import errors, web
from api.auth import refuse_unauthenticated
from api.bodylimit import MULTIPART_OVERHEAD, BodyLimit, BodyRule
from api.headers import SecurityHeaders
from api.limits import ConcurrencyLimit, request_limit
from api.routers import admin as admin_routes
from api.routers import agencies as agency_routes
from api.routers import auth as auth_routes
from api.routers import dossiers as dossier_routes
from api.routers import dvcqg_catalogue as dvcqg_catalogue_routes
from api.routers import dvcqg_inbound as dvcqg_inbound_routes
from api.routers import dvcqg_sync as dvcqg_sync_routes
from api.routers import feedback as feedback_routes
from api.routers import health
from api.routers import messages_admin as message_admin_routes
from api.routers import news as news_routes
from api.routers import notifications as notification_routes
from api.routers import online_public as online_public_routes
from api.routers import payments as payment_routes
from api.routers import procedures as procedure_routes
from api.routers import public as public_routes
from api.routers import registers as register_routes
from api.routers import tasks as task_routes
from api.routers import zalo as zalo_routes
from api.routers import zalo_articles as zalo_article_routes
from api.routers import zalo_grant as zalo_grant_routes
from api.routers import zalo_templates as zalo_template_routes
from api.web import assets as web_assets
from api.web import designer as designer_web
from api.web import online as online_web
from api.web import workspace as workspace_web
from connectors.dvcqg.emulator import create_dvcqg_emulator_app
from connectors.zalo.emulator import create_emulator_app
from workflows.core.clock import Clock, SystemClock
from workflows.core.config import EMULATOR_PREFIX, Settings
from workflows.core.dvcqg_config import DVCQG_EMULATOR_PREFIX
from workflows.wiring import Wiring, build_wiring

DESCRIPTION = """Back end of the provincial administrative-procedure system (hệ thống giải quyết TTHC):
officials' task API, dossier intake, process definitions, the citizen lookup and the Zalo OA webhook.

Errors are `application/problem+json` with a stable `code` and a Vietnamese `detail`.
Sign in with `POST /api/v1/auth/token` (demo officials in development: see the README)."""


def create_app(settings: Settings, *, clock: Clock | None = None, start_background: bool = True) -> FastAPI:
    """Build the app. `start_background=False` leaves the scheduler and relay out (tests drive them)."""
    clock = clock or SystemClock()

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

    # Swagger UI from a package, not a CDN (api/docs.py): the docs work offline; in production only when
    # the settings allow (MOTCUA_HTTP__DOCS).
    docs = settings.docs_enabled
    app = FastAPI(title="motcua", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json" if docs else None)
    if docs:
        api_docs.install(app)
    errors.install(app)
    app.add_middleware(BodyLimit, default_bytes=settings.http.max_body_bytes, rules=body_rules(settings),
                       authenticate=refuse_unauthenticated)
    app.add_middleware(ConcurrencyLimit, limit=request_limit(settings.database.pool_size))
    app.add_middleware(SecurityHeaders)  # outermost: also on the answers of the other middlewares
    for module in (health, auth_routes, dossier_routes, task_routes, procedure_routes, notification_routes,
                   public_routes, feedback_routes, news_routes, zalo_routes, register_routes, admin_routes):
        app.include_router(module.router)
    app.include_router(message_admin_routes.router)
    app.include_router(zalo_template_routes.router)
    app.include_router(zalo_article_routes.router)
    app.include_router(zalo_grant_routes.router)
    app.include_router(dvcqg_sync_routes.router)
    app.include_router(dvcqg_inbound_routes.router)
    app.include_router(online_public_routes.router)
    app.include_router(online_web.build_router())
    app.include_router(dvcqg_catalogue_routes.router)
    app.include_router(agency_routes.router)
    app.include_router(web.build_router())
    app.include_router(workspace_web.build_router())
    app.include_router(web_assets.build_router())
    app.include_router(designer_web.build_router(settings))
    app.include_router(payment_routes.build_router())
    app.include_router(payment_routes.officials)
    if settings.zalo.emulator and not settings.zalo.emulator_url:
        # Zalo's three hosts and the citizens' phones, speaking the real wire protocol (development).
        app.mount(EMULATOR_PREFIX, create_emulator_app(
            app_id=settings.zalo.app_id, app_secret=settings.zalo.app_secret.get_secret_value(),
            oa_secret_key=settings.zalo.oa_secret_key.get_secret_value(),
            webhook_url=f"{settings.public_base_url.rstrip('/')}/api/v1/zalo/webhook", now=clock.now, prefix="",
            oa_id=settings.zalo.oa_id, callback_url=settings.zalo_redirect_uri))
    if settings.dvcqg.emulator and not settings.dvcqg.emulator_url:
        # The national portal's adapter, its citizens' online submissions and its payment platform.
        app.mount(DVCQG_EMULATOR_PREFIX, dvcqg_emulator(settings, clock, prefix=""))
    return app


def dvcqg_emulator(settings: Settings, clock: Clock, *, prefix: str) -> FastAPI:
    """The development DVCQG emulator, configured to accept our adapter account and to push online
    submissions to this server with the adapter's development key."""
    dvcqg = settings.dvcqg
    return create_dvcqg_emulator_app(
        username=dvcqg.adapter.username, password=dvcqg.adapter.password.get_secret_value(),
        madonvi=dvcqg.adapter.madonvi, now=clock.now, prefix=prefix, settings={
            "push_url": f"{settings.public_base_url.rstrip('/')}/api/v1/dvcqg/dossiers",
            "push_key": dvcqg.inbound.emulator_push_key.get_secret_value(),
            "payment_partner_code": dvcqg.payment.partner_code,
            "payment_secret": dvcqg.payment.secret.get_secret_value(),
            "payment_token": dvcqg.payment.bearer_token.get_secret_value(),
            "public_base_url": settings.public_base_url.rstrip("/"),
        })


def body_rules(settings: Settings) -> list[BodyRule]:
    """Routes whose bodies may exceed the JSON limit (uploads, read only from an authenticated caller) or
    must stay under a smaller one."""
    upload = settings.storage.max_upload_bytes + MULTIPART_OVERHEAD
    return [
        BodyRule("POST", r"/api/v1/dossiers/[^/]+/documents", upload, authenticate_first=True),
        BodyRule("POST", r"/api/v1/process-definitions(/validate)?",
                 procedure_routes.MAX_BPMN_BYTES + MULTIPART_OVERHEAD, authenticate_first=True),
        BodyRule("POST", r"/api/v1/zalo/webhook", zalo_routes.MAX_BODY),
        BodyRule("POST", r"/api/v1/payments/dvcqg/callback", payment_routes.MAX_CALLBACK_BYTES),
        BodyRule("POST", r"/api/v1/news/[^/]+/zalo/publish", upload, authenticate_first=True),  # a video
        # The development emulator takes the files our Zalo client uploads (Zalo's own limit is 5 MB).
        BodyRule("*", EMULATOR_PREFIX + r"/.*", upload),
        BodyRule("*", DVCQG_EMULATOR_PREFIX + r"/.*", upload),  # submissions carry files
        # DVCQG's pushes may carry their files inline (base64): read only from the adapter's key.
        BodyRule("POST", r"/api/v1/dvcqg/dossiers(/[^/]+/supplements)?", dvcqg_inbound_routes.MAX_PUSH_BYTES,
                 authenticate_first=True),
        # The citizen page's online submission: its files (public, so bounded to one upload's size in all).
        BodyRule("POST", r"/api/v1/public/online-dossiers", upload),
    ]


def app_from_env() -> FastAPI:
    """The app with settings read from the environment: uvicorn's factory in each process of
    `motcua serve --workers N`."""
    return create_app(Settings())
