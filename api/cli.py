"""The `motcua` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from api.main import create_app

from workflows.core import migrate
from workflows.core.config import Settings
from workflows.core.db import make_db_engine

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


def _paths(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.bpmn")) if path.is_dir() else [path])
    return files


if __name__ == "__main__":
    app()
