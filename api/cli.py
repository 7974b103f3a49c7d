"""The `motcua` command line."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from api.main import create_app

from workflows.core import migrate
from workflows.core.config import Settings
from workflows.core.db import make_db_engine, session_scope
from workflows.core.errors import MotcuaError
from workflows.identity import seed as identity_seed
from workflows.identity import service as identity_service
from workflows.identity.models import Role
from workflows.wiring import build_wiring

app = typer.Typer(help="motcua — hệ thống giải quyết thủ tục hành chính", no_args_is_help=True)
db_app = typer.Typer(help="Database commands", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every Alembic migration to the configured database."""
    settings = Settings()
    engine = make_db_engine(settings.database)
    migrate.upgrade(engine)
    engine.dispose()
    typer.echo(f"database upgraded: {engine.url.render_as_string(hide_password=True)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="Leave the jobs to `motcua worker`")] = False,
) -> None:
    """Serve the HTTP API (with the scheduler in-process unless --no-scheduler)."""
    settings = Settings()
    if no_scheduler:
        settings = settings.model_copy(
            update={"scheduler": settings.scheduler.model_copy(update={"enabled": False})}
        )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


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


def _paths(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.bpmn")) if path.is_dir() else [path])
    return files


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
) -> None:
    """Create an official."""
    engine = make_db_engine(Settings().database)
    try:
        with session_scope(engine) as session:
            identity_service.create_official(
                session, username=username, password=password, full_name=full_name,
                department_code=department, roles=role,
            )
    except MotcuaError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"official created: {username} ({', '.join(role)})")


def seed_demo_data(session: Session) -> list[str]:
    """Every workflows-level demo seed, in dependency order; returns what was created."""
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
            created = seed_demo_data(session)
    finally:
        engine.dispose()
    typer.echo(f"demo data loaded; created: {', '.join(created) or 'nothing (already there)'}")


if __name__ == "__main__":
    app()
