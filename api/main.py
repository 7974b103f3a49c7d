"""The FastAPI application factory: everything is built in the lifespan from the settings passed in."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import make_url

from api import docs as api_docs
from api import errors, web
from api.auth import refuse_unauthenticated
from api.bodylimit import MULTIPART_OVERHEAD, BodyLimit, BodyRule
from api.headers import SecurityHeaders
from api.limits import ConcurrencyLimit, request_limit
from api.routers import admin as admin_routes
from api.routers import agencies as agency_routes
from api.routers import audit as audit_routes
from api.routers import auth as auth_routes
from api.routers import delegations as delegation_routes
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
from api.routers import reports as report_routes
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
from connectors.signing.emulator import create_signing_emulator_app
from connectors.zalo.emulator import create_emulator_app
from workflows.calendar import overrides
from workflows.core.clock import Clock, SystemClock
from workflows.core.config import EMULATOR_PREFIX, Settings
from workflows.core.dvcqg_config import DVCQG_EMULATOR_PREFIX
from workflows.core.signing_config import SIGNING_EMULATOR_PREFIX
from workflows.identity import service as identity_service
from workflows.signing.base import ensure_dev_ca
from workflows.signing.keys import KeyPaths
from workflows.wiring import Wiring, build_wiring

DESCRIPTION = """Back end of the provincial administrative-procedure system (hệ thống giải quyết TTHC):
officials' task API, dossier intake, process definitions, the citizen lookup and the Zalo OA webhook.

Errors are `application/problem+json` with a stable `code` and a Vietnamese `detail`.
Sign in with `POST /api/v1/auth/token` (demo officials in development: see the README)."""


def create_app(settings: Settings, *, clock: Clock | None = None, start_background: bool = True) -> FastAPI:
    """Build the app. `start_background=False` leaves the scheduler and relay out (tests drive them)."""
    clock = clock or SystemClock()
    mounted_closers: list[Callable[[], None]] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wiring: Wiring = build_wiring(settings, clock=clock)
        app.state.wiring = wiring
        identity_service.prime_dummy_hash(wiring.password_hasher)  # logins of unknown names cost as others
        if start_background:
            wiring.start_background()
        try:
            yield
        finally:
            wiring.close()
            # A mounted app's lifespan never runs: close what the mounted emulators started (the Zalo
            # emulator's webhook thread), or each app built in one process leaves a thread behind.
            for closer in mounted_closers:
                closer()

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
    app.include_router(report_routes.router)
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
    app.include_router(delegation_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(web.build_router())
    app.include_router(workspace_web.build_router())
    app.include_router(web_assets.build_router())
    app.include_router(designer_web.build_router(settings))
    app.include_router(payment_routes.build_router())
    app.include_router(payment_routes.officials)
    if settings.zalo.emulator and not settings.zalo.emulator_url:
        # Zalo's three hosts and the citizens' phones, speaking the real wire protocol (development).
        zalo_emulator = create_emulator_app(
            app_id=settings.zalo.app_id, app_secret=settings.zalo.app_secret.get_secret_value(),
            oa_secret_key=settings.zalo.oa_secret_key.get_secret_value(),
            webhook_url=f"{settings.public_base_url.rstrip('/')}/api/v1/zalo/webhook", now=clock.now, prefix="",
            oa_id=settings.zalo.oa_id, callback_url=settings.zalo_redirect_uri)
        mounted_closers.append(zalo_emulator.state.webhooks.close)
        app.mount(EMULATOR_PREFIX, zalo_emulator)
    if settings.dvcqg.emulator and not settings.dvcqg.emulator_url:
        # The national portal's adapter, its citizens' online submissions and its payment platform.
        app.mount(DVCQG_EMULATOR_PREFIX, dvcqg_emulator(settings, clock, prefix=""))
    if settings.signing.backend == "remote" and settings.signing.remote.emulator and \
            not settings.signing.remote.emulator_url:
        # The CA provider's remote signing service and the officials' phones (development and tests).
        app.mount(SIGNING_EMULATOR_PREFIX, signing_emulator(settings, clock))
    return app


def signing_emulator(settings: Settings, clock: Clock) -> FastAPI:
    """The remote signing emulator, issuing officials' certificates from the development CA (so that
    verification trusts them as it trusts the local signer's)."""
    ensure_dev_ca(settings, now=clock.now())
    remote = settings.signing.remote
    return create_signing_emulator_app(
        ca_p12=KeyPaths(settings.signing.directory).ca_key.read_bytes(),
        passphrase=settings.signing.passphrase.get_secret_value(), client_id=remote.client_id,
        client_secret=remote.client_secret.get_secret_value())


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
        BodyRule("*", SIGNING_EMULATOR_PREFIX + r"/.*", 64 * 1024),
        # DVCQG's pushes may carry their files inline (base64): read only from the adapter's key.
        BodyRule("POST", r"/api/v1/dvcqg/dossiers(/[^/]+/supplements)?", dvcqg_inbound_routes.MAX_PUSH_BYTES,
                 authenticate_first=True),
        # The citizen page's online submission: its files (public, so bounded to one upload's size in all).
        BodyRule("POST", r"/api/v1/public/online-dossiers", upload),
        BodyRule("POST", r"/api/v1/public/verify", public_routes.MAX_VERIFY_BYTES + MULTIPART_OVERHEAD),
    ]


def preload(settings: Settings) -> None:
    """Import in this process what a server process would otherwise import on its own at startup or on its
    first requests: the database driver, the holiday tables, the signing library (pyHanko and its ASN.1 and
    certificate modules, ~16 MB, imported by the first signature) and the forms' faces, parsed and cut down
    (`layout.load_faces`, ~0.5 s at the first document). `motcua serve --workers N`
    calls it before it forks the N processes, so that they share these pages instead of each loading a
    copy. One process (`serve` alone) does not call it: pyHanko then waits for the first signature."""
    make_url(settings.database.url).get_dialect().import_dbapi()
    overrides.load_library()
    importlib.import_module("workflows.signing.pades")
    importlib.import_module("workflows.signing.signers")
    importlib.import_module("workflows.documents.layout").load_faces()


def app_from_env() -> FastAPI:
    """The app with settings read from the environment: uvicorn's factory in each process of
    `motcua serve --workers N`."""
    return create_app(Settings())
