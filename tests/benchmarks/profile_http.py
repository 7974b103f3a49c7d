"""Profile complete-task in process with pyinstrument: dossiers are made over HTTP (TestClient), then the
route's service call (`workflows.tasks.service.complete`, one transaction each) runs in this thread:

    .venv/bin/python tests/benchmarks/profile_http.py [sqlite|postgresql] > /tmp/profile.txt
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import scenarios  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from pyinstrument import Profiler  # noqa: E402
from sqlmodel import select  # noqa: E402

from api.main import create_app  # noqa: E402
from workflows.core.db import session_scope  # noqa: E402
from workflows.identity import service as identity  # noqa: E402
from workflows.identity.models import Official  # noqa: E402
from workflows.tasks.service import complete  # noqa: E402


def main(backend: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, harness.bench_database(backend, Path(tmp)) as url:
        settings = harness.bench_settings(url, Path(tmp), "http://testserver")
        harness.prepare(settings).close()
        settings = settings.model_copy(update={"zalo": settings.zalo.model_copy(update={"emulator": False})})
        with TestClient(create_app(settings, start_background=False)) as http:
            client = harness.Client("http://testserver")
            client.http = http  # type: ignore[assignment]
            walks = scenarios.new_dossiers(client, 12, notify=True)
            wiring = http.app.state.wiring  # type: ignore[attr-defined]
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for walk in walks:
                while walk.task is not None:
                    with session_scope(wiring.db) as session:
                        official = session.exec(select(Official).where(
                            Official.username == scenarios._user(walk.task))).one()
                        out = complete(session, engine=wiring.engine, services=wiring.domain,
                                       actor=identity.actor_of_official(session, official=official),
                                       task_id=scenarios._task_id(walk.task),
                                       data=scenarios.STEP_DATA[walk.task["step"]])
                    walk.task = out.next_tasks[0].model_dump() if out.next_tasks else None
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "postgresql")
