"""The `motcua` command line."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from api import supervisor
from api.main import create_app, preload
from api.main import dvcqg_emulator as build_dvcqg_emulator
from connectors.zalo.emulator import create_emulator_app
from engine.errors import DefinitionInvalid, DefinitionNotFound, EngineError
from workflows import backup, retention
from workflows.agencies import service as agency_service
from workflows.calendar.service import sync_calendar_overrides
from workflows.core.clock import SystemClock
from workflows.core.config import Settings
from workflows.core.db import make_db_engine, session_scope
from workflows.core.errors import MotcuaError
from workflows.documents.storage import FileStore
from workflows.identity import naming, throttle
from workflows.identity import seed as identity_seed
from workflows.identity import service as identity_service
from workflows.identity.actor import Actor
from workflows.identity.models import Official, Role
from workflows.privacy import PersonalDataCipher
from workflows.procedures.service import sync_catalogue
from workflows.process import migration
from workflows.seed import deploy_paths
from workflows.signing import keys as signing_keys
from workflows.signing.keys import OfficialIdentity
from workflows.wiring import build_wiring
from workflows.zalo import grant

app = typer.Typer(help="motcua — hệ thống giải quyết thủ tục hành chính", no_args_is_help=True)
db_app = typer.Typer(help="Database commands", no_args_is_help=True)
app.add_typer(db_app, name="db")
signing_app = typer.Typer(help="Digital signatures (docs/SIGNATURES.md)", no_args_is_help=True)
app.add_typer(signing_app, name="signing")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every Alembic migration to the configured database."""
    # Alembic (~6 MB) only here: the server processes never load it.
    from workflows.core import migrate

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
    """Serve the HTTP API, and run the scheduler's jobs unless --no-scheduler.

    On SQLite the jobs run in the server process (one writer: its in-process writer gate lets the relay
    ahead of requests). On PostgreSQL the jobs run in a process of their own, forked beside the server
    processes, so a request never waits for the GIL behind the relay and the emulators' calls (issue 22);
    rows enqueued by a server process wake it through LISTEN/NOTIFY. With --workers N, N server processes
    share the port."""
    if "MOTCUA_PUBLIC_BASE_URL" not in os.environ:
        # Links to citizens and the embedded Zalo emulator must point at this very server.
        os.environ["MOTCUA_PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    if no_scheduler:
        os.environ["MOTCUA_SCHEDULER__ENABLED"] = "false"
    settings = Settings()
    postgres = make_url(settings.database.url).get_backend_name() == "postgresql"
    jobs = settings.scheduler.enabled and postgres
    if workers == 1 and not jobs:
        # proxy_headers=False: X-Forwarded-For is resolved by the app, from MOTCUA_TRUSTED_PROXIES only.
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
        return
    if not postgres:
        raise typer.BadParameter("SQLite has a single writer: more processes would only queue for it; "
                                 "serve several workers on PostgreSQL", param_hint="--workers")
    if workers > 1 and settings.zalo.emulator and not settings.zalo.emulator_url:
        raise typer.BadParameter("the in-process Zalo emulator keeps its state in one process: run "
                                 "`motcua zalo-emulator` and set MOTCUA_ZALO__EMULATOR_URL, or use Zalo "
                                 "(MOTCUA_ZALO__EMULATOR=false)", param_hint="--workers")
    # The processes run one argon2 at a time between them (64 MiB each: issue 22's memory target), unless the
    # operator named a lock file of their own.
    remove: list[Path] = []
    if "MOTCUA_AUTH__HASH_LOCK_FILE" not in os.environ:
        descriptor, lock_file = tempfile.mkstemp(prefix="motcua-argon2-", suffix=".lock")
        os.close(descriptor)
        os.environ["MOTCUA_AUTH__HASH_LOCK_FILE"] = lock_file
        remove.append(Path(lock_file))
    # The server processes, and those that replace them, only serve: the jobs have their process.
    os.environ["MOTCUA_SCHEDULER__ENABLED"] = "false"
    # Each process builds its app from the same environment (settings are read there, once per process).
    config = _server_config(host=host, port=port)
    sock = config.bind_socket()
    pids = _fork_server_processes(settings, config, sock, workers)
    jobs_pid = _start_jobs_process() if jobs else None
    # The supervisor need not keep the imported application: it becomes a small process that only watches
    # (api/supervisor.py), and the pages the children copy stop having a second, idle original here.
    supervisor.exec_supervisor(fd=sock.fileno(), pids=pids, jobs_pid=jobs_pid, remove=remove)


@app.command("serve-process", hidden=True)
def serve_process(fd: Annotated[int, typer.Option(help="The listening socket, inherited")]) -> None:
    """One server process of `serve --workers N`, started afresh by its supervisor (api/supervisor.py) in
    place of one that died, on the listening socket the supervisor holds."""
    config = _server_config(host="", port=0)
    raise typer.Exit(_serve_on(config, socket.socket(fileno=fd)))


def _server_config(*, host: str, port: int) -> uvicorn.Config:
    # proxy_headers=False: X-Forwarded-For is resolved by the app, from MOTCUA_TRUSTED_PROXIES only.
    return uvicorn.Config("api.main:app_from_env", factory=True, host=host, port=port, log_level="info",
                          proxy_headers=False)


def _serve_on(config: uvicorn.Config, sock: socket.socket) -> int:
    """Serve until told to stop; the exit code: 0, or uvicorn's startup failure (3) if it never served."""
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else supervisor.STARTUP_FAILURE


def _fork_server_processes(settings: Settings, config: uvicorn.Config, sock: socket.socket, count: int) -> list[int]:
    """Start `count` server processes on `sock` by forking this one once it has imported the application,
    instead of starting fresh interpreters that import it again: the processes then share the imported
    modules' pages (copy-on-write), where fresh ones held ~140 MB each of their own (docs/PERFORMANCE.md,
    issue 22). Forking is safe here: this process has started no thread, opened no connection and built no
    app; each server process builds its own wiring from the environment. Returns their pids."""
    if threading.active_count() != 1:
        typer.echo("warning: starting the server processes afresh (each imports the application again)", err=True)
        os.set_inheritable(sock.fileno(), True)
        command = supervisor.replacement_command(sock.fileno())
        return [subprocess.Popen(command, pass_fds=(sock.fileno(),)).pid for _ in range(count)]
    preload(settings)
    # Objects that exist now move to the permanent generation, so the collector's passes in each process do
    # not write to (and so copy) the pages they share.
    gc.collect()
    gc.freeze()
    return [_fork(lambda: _serve_on(config, sock)) for _ in range(count)]


def _start_jobs_process() -> int:
    """Fork the jobs' process (after the server processes: it shares their preloaded pages), or start
    `motcua worker` afresh when this process has threads (see `_fork_server_processes`)."""
    if threading.active_count() != 1:
        return subprocess.Popen(supervisor.JOBS_COMMAND).pid
    return _fork(_run_jobs)


def _fork(run: Callable[[], int | None]) -> int:
    """Fork a process that runs `run` and exits with its code (0 for None); the child's pid."""
    pid = os.fork()
    if pid == 0:  # the child: it must never return into the command (nor run its cleanup)
        code = 1
        try:
            code = run() or 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


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
    _run_jobs()


def _run_jobs() -> None:
    """The jobs of `motcua worker` and of `serve`'s jobs process, with settings from the environment (the
    scheduler runs whatever `MOTCUA_SCHEDULER__ENABLED` says: that flag is about server processes)."""
    wiring = build_wiring(Settings())
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    wiring.start_jobs()
    typer.echo(f"worker running jobs: {', '.join(wiring.scheduler.jobs)}")
    try:
        while not stopping.wait(1.0):
            pass
    finally:
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
def _transaction(settings: Settings | None = None) -> Iterator[Session]:
    """One transaction on the configured database (of `settings`, else of the environment) for a command; a
    refusal is printed with what it names (every error line) and the command exits 1."""
    engine = make_db_engine((settings or Settings()).database)
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


def _store(settings: Settings) -> FileStore:
    return FileStore(settings.storage.directory, PersonalDataCipher.from_settings(settings.crypto))


@app.command("backup")
def backup_command(
    to: Annotated[Path, typer.Option("--to", help="A new or empty directory to write the backup into")],
) -> None:
    """Back up the database (PostgreSQL: pg_dump custom format; SQLite: online backup) and the encrypted file
    store, with a manifest of SHA-256 hashes (docs/OPERATIONS.md "Backups and retention")."""
    settings = Settings()
    engine = make_db_engine(settings.database)
    try:
        manifest = backup.backup(db=engine, store=_store(settings), to=to, now=SystemClock().now())
    except MotcuaError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"backup written to {to}: {manifest.backend} database (revision {manifest.revision}), "
               f"{len(manifest.files)} files, {manifest.documents} documents")


@app.command("restore")
def restore_command(
    from_: Annotated[Path, typer.Option("--from", help="A directory written by `motcua backup`")],
) -> None:
    """Restore a backup into the configured database, which must be empty, and the file store; checks every
    hash first and ends by opening every document with the configured data key."""
    settings = Settings()
    engine = make_db_engine(settings.database)
    try:
        report = backup.restore(db=engine, store=_store(settings), from_=from_)
    except MotcuaError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"restored {report.backend} database (revision {report.revision}), {report.files} files; "
               f"{report.documents_readable} documents readable")


@app.command("retention")
def retention_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the expired dossiers; change nothing")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many dossiers")] = 1000,
) -> None:
    """Erase or anonymise the personal data of closed dossiers whose retention period ended (audited), as the
    scheduler's `retention` job does (docs/OPERATIONS.md "Backups and retention")."""
    settings = Settings()
    engine = make_db_engine(settings.database)
    try:
        done = retention.run(engine, store=_store(settings), settings=settings.retention, now=SystemClock().now,
                             dry_run=dry_run, limit=limit)
    finally:
        engine.dispose()
    verb = "would anonymise" if dry_run else "anonymised"
    for item in done:
        typer.echo(f"{item.code}\t{item.procedure_code}\tclosed {item.closed_at:%Y-%m-%d}\t"
                   f"retention {item.years} years ended {item.expires_at:%Y-%m-%d}")
    typer.echo(f"{verb} {len(done)} dossiers")


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
    settings = Settings()
    with _transaction(settings) as session:
        identity_service.create_official(
            session, username=username, password=password, full_name=full_name,
            department_code=department, roles=role, title=title, unit_name=unit,
            hasher=identity_service.password_hasher(settings.auth.argon2),
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


CLI_ACTOR = Actor(username="cli", display_name="Quản trị viên (dòng lệnh trên máy chủ)", kind="system")


@app.command("migrate-instances")
def migrate_instances(
    key: Annotated[str, typer.Argument(help="Process key (the BPMN process id), e.g. karaoke_vu_truong")],
    to_version: Annotated[int | None, typer.Option("--to-version", help="Target version (default: the latest)")]
    = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="old_element=new_element; repeat for several (an element not named keeps its id)")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Move the instances (without it: a dry run)")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=500, help="Instances per batch (each "
                                                                                 "batch is committed)")] = 50,
) -> None:
    """Move the unfinished instances of KEY on other versions to the target version: without --apply, say
    for each whether it can move and why not; with --apply, move them batch by batch (each instance whole
    or not at all, a commit after each batch, audited as `cli`). The same as
    POST /api/v1/process-definitions/{key}/migrations."""
    pairs: dict[str, str] = {}
    for item in mapping or []:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            typer.echo(f"error: --map {item!r}: expected old_element=new_element", err=True)
            raise typer.Exit(2)
        pairs[old.strip()] = new.strip()
    wiring = build_wiring(Settings())
    try:
        with session_scope(wiring.db) as session:
            if apply:
                done = migration.apply(session, engine=wiring.engine, actor=CLI_ACTOR, key=key, to_version=to_version,
                                       mapping=pairs, batch_size=batch_size, after_batch=session.commit)
                instances, summary = done.instances, (f"migration {done.id}: {done.moved} moved, {done.refused} "
                                                      f"refused, {done.failed} failed of {done.total}")
                target = done.to_version
            else:
                plan = migration.plan(session, engine=wiring.engine, key=key, to_version=to_version, mapping=pairs)
                instances, summary = plan.instances, (f"dry run: {plan.movable} can move, {plan.refused} cannot, "
                                                      f"of {plan.total}")
                target = plan.to_version
    except (MotcuaError, EngineError) as exc:
        detail = "Không tìm thấy quy trình hoặc phiên bản này." if isinstance(exc, DefinitionNotFound) else \
            getattr(exc, "detail", None) or str(exc)
        typer.echo(f"error: {detail}", err=True)
        for error in getattr(exc, "errors", None) or []:
            typer.echo(f"  {error.get('field')}: {error.get('message')}", err=True)
        raise typer.Exit(1) from None
    finally:
        wiring.close()
    for instance in instances:
        reasons = "; ".join(r.message for r in instance.reasons)
        line = f"{instance.business_key}: {instance.outcome} (v{instance.from_version} → v{target})"
        typer.echo(f"{line}: {reasons}" if reasons else line)
    typer.echo(summary)


def seed_demo_data(session: Session, *, dvcqg_push_key: str | None = None,
                   hasher: PasswordHasher | None = None) -> list[str]:
    """Every workflows-level demo seed, in dependency order; returns what was created. `dvcqg_push_key`: the
    secret of the DVCQG adapter's development key (the emulator pushes with it); `hasher`: the settings'
    argon2 parameters for the demo password."""
    if dvcqg_push_key:
        return identity_seed.seed_demo(session, dvcqg_push_key=dvcqg_push_key, hasher=hasher)
    return identity_seed.seed_demo(session, hasher=hasher)


@signing_app.command("init-dev-ca")
def signing_init_dev_ca(
    officials: Annotated[list[str] | None, typer.Argument(help="Logins to issue a certificate to (default: "
                                                               "every enabled Lãnh đạo Sở)")] = None,
) -> None:
    """Create the development CA and timestamp authority under MOTCUA_SIGNING__DIRECTORY (var/signing) and
    issue officials their signing certificates, every key file encrypted with MOTCUA_SIGNING__PASSPHRASE.
    Not for production: there the CA provider issues the officials' certificates."""
    settings = Settings()
    if settings.env == "production":
        raise typer.BadParameter("the development CA is not for production (docs/SIGNATURES.md)")
    now = SystemClock().now()
    directory = settings.signing.directory
    passphrase = settings.signing.passphrase.get_secret_value()
    created = signing_keys.init_dev_ca(directory, passphrase=passphrase, now=now)
    engine = make_db_engine(settings.database)
    issued = []
    try:
        with session_scope(engine) as session:
            for login in officials or signing_leaders(session):
                person = naming.describe(session, username=login)
                if person is None:
                    raise typer.BadParameter(f"no official {login!r}")
                signing_keys.issue_official(directory, passphrase=passphrase, now=now, official=OfficialIdentity(
                    username=login, full_name=person.full_name, title=person.title or person.position,
                    organization=settings.agency_name))
                issued.append(login)
    finally:
        engine.dispose()
    typer.echo(f"{'created' if created else 'kept'} the development CA in {directory}; certificates issued to: "
               f"{', '.join(issued) or 'nobody'}")


def signing_leaders(session: Session) -> list[str]:
    return [o.username for o in session.exec(select(Official).where(col(Official.disabled).is_(False))).all()
            if o.has_role(Role.LANH_DAO_SO)]


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
                session, dvcqg_push_key=settings.dvcqg.inbound.emulator_push_key.get_secret_value(),
                hasher=identity_service.password_hasher(settings.auth.argon2))
    finally:
        engine.dispose()
    typer.echo(f"demo data loaded; created: {', '.join(created) or 'nothing (already there)'}")


if __name__ == "__main__":
    app()
