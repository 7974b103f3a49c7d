"""The `motcua` command line."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api.main import create_app
from api.main import dvcqg_emulator as build_dvcqg_emulator
from connectors.zalo.emulator import create_emulator_app
from engine.errors import DefinitionInvalid
from workflows.agencies import service as agency_service
from workflows.calendar.service import sync_calendar_overrides
from workflows.core import migrate
from workflows.core.clock import SystemClock
from workflows.core.config import Settings
from workflows.core.db import make_db_engine, session_scope
from workflows.core.errors import MotcuaError
from workflows.identity import seed as identity_seed
from workflows.identity import service as identity_service
from workflows.identity import throttle
from workflows.identity.models import Role
from workflows.procedures.service import sync_catalogue
from workflows.seed import deploy_paths
from workflows.wiring import build_wiring
from workflows.zalo import grant

app = typer.Typer(help="motcua — hệ thống giải quyết thủ tục hành chính", no_args_is_help=True)
db_app = typer.Typer(help="Database commands", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every Alembic migration to the configured database."""
    settings = Settings()
    engine = make_db_engine(settings.database)
    migrate.upgrade(engine)
    with session_scope(engine) as session:  # reference data shipped with the code: calendar, catalogue
        sync_calendar_overrides(session)
        versions = sync_catalogue(session)
    engine.dispose()
    typer.echo(f"database upgraded: {engine.url.render_as_string(hide_password=True)}; "
               f"{len(versions)} procedures in the catalogue")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="Leave the jobs to `motcua worker`")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (PostgreSQL only; one per core)")] = 1,
) -> None:
    """Serve the HTTP API (with the scheduler in-process unless --no-scheduler).

    With --workers N, N processes share the port; each runs the scheduler's jobs, which claim their rows
    with SKIP LOCKED as several `motcua worker`s do."""
    if "MOTCUA_PUBLIC_BASE_URL" not in os.environ:
        # Links to citizens and the embedded Zalo emulator must point at this very server.
        os.environ["MOTCUA_PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    if no_scheduler:
        os.environ["MOTCUA_SCHEDULER__ENABLED"] = "false"
    settings = Settings()
    if workers == 1:
        # proxy_headers=False: X-Forwarded-For is resolved by the app, from MOTCUA_TRUSTED_PROXIES only.
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
        return
    if make_url(settings.database.url).get_backend_name() != "postgresql":
        raise typer.BadParameter("SQLite has a single writer: more processes would only queue for it; "
                                 "serve several workers on PostgreSQL", param_hint="--workers")
    if settings.zalo.emulator and not settings.zalo.emulator_url:
        raise typer.BadParameter("the in-process Zalo emulator keeps its state in one process: run "
                                 "`motcua zalo-emulator` and set MOTCUA_ZALO__EMULATOR_URL, or use Zalo "
                                 "(MOTCUA_ZALO__EMULATOR=false)", param_hint="--workers")
    # Each process builds its app from the same environment (settings are read there, once per process).
    # uvicorn (≥ 0.3x) restarts a worker that has not finished startup within the health-check timeout (5 s by
    # default); a busy machine imports and migrates slower than that, so give a starting worker a minute.
    uvicorn.run("api.main:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="info",
                proxy_headers=False, timeout_worker_healthcheck=60)


@app.command("zalo-emulator")
def zalo_emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8001,
) -> None:
    """Serve the Zalo emulator on its own (development), for `serve --workers N`: set
    MOTCUA_ZALO__EMULATOR_URL=http://HOST:PORT for the server. Webhooks go to MOTCUA_PUBLIC_BASE_URL."""
    settings = Settings()
    if not settings.is_development:
        raise typer.BadParameter("the Zalo emulator is for development only (MOTCUA_ENV=development)")
    uvicorn.run(create_emulator_app(
        app_id=settings.zalo.app_id, app_secret=settings.zalo.app_secret.get_secret_value(),
        oa_secret_key=settings.zalo.oa_secret_key.get_secret_value(),
        webhook_url=f"{settings.public_base_url.rstrip('/')}/api/v1/zalo/webhook", now=SystemClock().now,
        prefix="", oa_id=settings.zalo.oa_id, callback_url=settings.zalo_redirect_uri), host=host, port=port,
        log_level="warning")


@app.command("dvcqg-emulator")
def dvcqg_emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8002,
) -> None:
    """Serve the DVCQG emulator on its own (development), for `serve --workers N`: set
    MOTCUA_DVCQG__EMULATOR_URL=http://HOST:PORT for the server. Submissions are pushed to MOTCUA_PUBLIC_BASE_URL."""
    settings = Settings()
    if not settings.is_development:
        raise typer.BadParameter("the DVCQG emulator is for development only (MOTCUA_ENV=development)")
    uvicorn.run(build_dvcqg_emulator(settings, SystemClock(), prefix=""), host=host, port=port, log_level="warning")


@app.command()
def worker() -> None:
    """Run the scheduler's jobs (BPMN timers, reminders, outbox, token refresh) in the foreground, without
    HTTP, until SIGTERM or SIGINT. Any number of workers may share one PostgreSQL database."""
    wiring = build_wiring(Settings())
    scheduler = wiring.scheduler
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    scheduler.start()
    typer.echo(f"worker running jobs: {', '.join(scheduler.jobs)}")
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        scheduler.stop()
        wiring.close()
    typer.echo("worker stopped")


@app.command("zalo-grant")
def zalo_grant(
    wait: Annotated[float, typer.Option(help="Seconds to wait for the OA administrator to approve (0: print "
                                             "the URL and return)")] = 0,
) -> None:
    """Start the Zalo OA grant: prints the authorization URL for the OA administrator to open (audited as
    `cli`); with --wait, polls until Zalo has called back and the connection is granted."""
    settings = Settings()
    wiring = build_wiring(settings)
    try:
        started_at = wiring.clock.now()
        with session_scope(wiring.db) as session:
            started = grant.begin_grant(session, client=wiring.zalo, cipher=wiring.cipher,
                                        redirect_uri=settings.zalo_redirect_uri, actor="cli", now=started_at,
                                        ttl=timedelta(seconds=settings.zalo.grant_ttl_seconds))
        typer.echo(started.authorization_url)
        typer.echo(f"open it as the OA administrator before {started.expires_at.isoformat()}; Zalo then calls "
                   f"back {started.redirect_uri}", err=True)
        deadline = time.monotonic() + wait
        while wait and time.monotonic() < deadline:
            state = wiring.tokens.connection_state()
            if state.state == "granted" and state.granted_at is not None and state.granted_at >= started_at:
                typer.echo("granted", err=True)
                return
            time.sleep(1.0)
        if wait:
            typer.echo(f"not granted within {wait:g} s (state: {wiring.tokens.connection_state().state})", err=True)
            raise typer.Exit(1)
    finally:
        wiring.close()


@app.command()
def deploy(paths: Annotated[list[Path], typer.Argument(help="BPMN files or directories of *.bpmn")]) -> None:
    """Deploy BPMN files: same content keeps its version, changed content becomes version n+1; a broken
    file is refused with errors naming the BPMN element (and line)."""
    wiring = build_wiring(Settings())
    failed = False
    try:
        for path in paths:
            for file in sorted(path.glob("*.bpmn")) if path.is_dir() else [path]:
                try:
                    with session_scope(wiring.db) as session:
                        result = deploy_paths(session, engine=wiring.engine, paths=[file])[0]
                except DefinitionInvalid as exc:
                    failed = True
                    typer.echo(f"{file}: refused", err=True)
                    for error in exc.errors:
                        line = f":{error['line']}" if error.get("line") else ""
                        typer.echo(f"  {error.get('field')}{line}: {error.get('message')}", err=True)
                    continue
                state = "new version" if result.created else "unchanged"
                typer.echo(f"{file}: {result.key} v{result.version} ({state}) sha256={result.sha256[:12]}")
    finally:
        wiring.close()
    if failed:
        raise typer.Exit(1)


@contextmanager
def _transaction() -> Iterator[Session]:
    """One transaction on the configured database for a command; a refusal is printed with what it names
    (every error line) and the command exits 1."""
    engine = make_db_engine(Settings().database)
    try:
        with session_scope(engine) as session:
            yield session
    except MotcuaError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        for error in exc.errors or []:
            typer.echo(f"  {error['message']}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command("import-agencies")
def import_agencies(
    file: Annotated[Path, typer.Argument(help="CSV UTF-8: " + ",".join(agency_service.COLUMNS))],
) -> None:
    """Create or update the province's agencies from a CSV file (all rows or none; errors name row and
    column). The same as POST /api/v1/admin/agencies/import."""
    with _transaction() as session:
        result = agency_service.import_file(session, path=file, now=SystemClock().now())
    typer.echo(f"agencies: {len(result.created)} created, {len(result.updated)} updated")


@app.command("create-department")
def create_department(
    code: Annotated[str, typer.Argument(help="Department code, unique, e.g. H60.73.VHXH")],
    name: Annotated[str, typer.Option("--name", help="Tên phòng, ban, e.g. Phòng Văn hóa - Xã hội")],
    agency: Annotated[str, typer.Option("--agency", help="Agency code (GET /api/v1/agencies), e.g. H60.73")],
    unit: Annotated[str | None, typer.Option("--unit", help="What it does, as procedures name it: MOT_CUA, "
                                                            "VHXH, QLVH…")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Contact phone printed on forms")] = None,
) -> None:
    """Create a department of an agency (a commune's one-stop desk is unit MOT_CUA)."""
    with _transaction() as session:
        agency_service.get_agency(session, code=agency)
        identity_service.create_department(session, code=code, name=name, agency_code=agency, phone=phone,
                                           unit_key=unit)
    typer.echo(f"department created: {code} ({agency})")


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Login name, e.g. chuyen_vien_3")],
    full_name: Annotated[str, typer.Option("--full-name", help="Họ và tên")],
    department: Annotated[str, typer.Option("--department", help="Department code, e.g. PHONG_QLVH")],
    role: Annotated[list[Role], typer.Option("--role", help="Role code; repeat for several")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Prompted when omitted"),
    ],
    title: Annotated[str | None, typer.Option("--title", help="Chức danh printed on forms, e.g. Chuyên viên")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit of the title when not the department")] = None,
) -> None:
    """Create an official."""
    with _transaction() as session:
        identity_service.create_official(
            session, username=username, password=password, full_name=full_name,
            department_code=department, roles=role, title=title, unit_name=unit,
        )
    typer.echo(f"official created: {username} ({', '.join(role)})")


@app.command("unlock-user")
def unlock_user(username: Annotated[str, typer.Argument(help="Login name of the official")]) -> None:
    """Lift the wait or lock an official's failed logins brought about (audited as `cli`)."""
    settings = Settings()
    engine = make_db_engine(settings.database)
    try:
        with session_scope(engine) as session:
            was_locked = throttle.unlock(session, username=username, actor="cli", now=SystemClock().now(),
                                         secret=settings.crypto.hmac_key.get_secret_value())
    except MotcuaError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"{username}: " + ("unlocked" if was_locked else "was not locked; failed logins forgotten"))


def seed_demo_data(session: Session, *, dvcqg_push_key: str | None = None) -> list[str]:
    """Every workflows-level demo seed, in dependency order; returns what was created. `dvcqg_push_key`: the
    secret of the DVCQG adapter's development key (the emulator pushes with it)."""
    if dvcqg_push_key:
        return identity_seed.seed_demo(session, dvcqg_push_key=dvcqg_push_key)
    return identity_seed.seed_demo(session)


@app.command("seed-demo")
def seed_demo() -> None:
    """Load demo departments, officials (password motcua-demo) and data; development only."""
    settings = Settings()
    if not settings.is_development:
        typer.echo(f"refused: seed-demo runs only with MOTCUA_ENV=development (now {settings.env})", err=True)
        raise typer.Exit(1)
    engine = make_db_engine(settings.database)
    try:
        with session_scope(engine) as session:
            created = seed_demo_data(
                session, dvcqg_push_key=settings.dvcqg.inbound.emulator_push_key.get_secret_value())
    finally:
        engine.dispose()
    typer.echo(f"demo data loaded; created: {', '.join(created) or 'nothing (already there)'}")


if __name__ == "__main__":
    app()
