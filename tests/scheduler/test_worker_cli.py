"""`motcua worker`: the jobs in a foreground process without HTTP, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from engine.models import WorkItem
from tests.scheduler.assembly import Domain
from workflows.core.clock import to_local
from workflows.core.db import session_scope

MOTCUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "motcua"


def test_worker_fires_a_due_timer_within_seconds_and_stops_on_sigterm(domain: Domain, tmp_path: Path) -> None:
    due = datetime.now(UTC) + timedelta(seconds=3)  # the worker runs on the system clock
    with session_scope(domain.db) as session:
        started = domain.engine.start(
            session,
            process_key="cho_hen",
            business_key="HEN-CLI",
            data={"hen_gio": to_local(due).isoformat()},
        )
    env = {
        **os.environ,
        "MOTCUA_ENV": "test",
        "MOTCUA_DATABASE__URL": domain.db.url.render_as_string(hide_password=False),
        "MOTCUA_STORAGE__DIRECTORY": str(tmp_path / "files"),
        "MOTCUA_SCHEDULER__TIMER_INTERVAL_SECONDS": "0.2",
    }
    worker = subprocess.Popen(
        [str(MOTCUA), "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        fired_at = None
        while time.monotonic() < deadline and worker.poll() is None:
            with Session(domain.db) as session:
                opened = session.exec(
                    select(WorkItem).where(WorkItem.instance_id == started.instance_id)
                ).all()
            if opened:
                fired_at = datetime.now(UTC)
                break
            time.sleep(0.1)
        assert worker.poll() is None, worker.communicate()[1][-3000:]
        assert fired_at is not None and fired_at - due < timedelta(seconds=5)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err[-3000:]
    assert "worker stopped" in out
