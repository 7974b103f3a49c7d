"""One scheduler worker process for the multi-process tests (not a test module).

    python tests/scheduler/worker_proc.py URL NOW_ISO GO_AT_EPOCH JOB[,JOB] [--slow SECONDS] [--files DIR]

Builds the domain on a ManualClock fixed at NOW_ISO, waits until GO_AT_EPOCH (so that two workers start
together), runs the jobs until a round processes nothing, and prints {"job": processed, ...} as JSON.
`--slow` sleeps inside each fired timer's transaction, so the test can kill the process mid-transaction.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlmodel import Session  # noqa: E402

from engine import StepResult  # noqa: E402
from tests.scheduler.assembly import build_domain  # noqa: E402
from workflows.core.clock import ManualClock  # noqa: E402
from workflows.core.config import DatabaseSettings, Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("now")
    parser.add_argument("go_at", type=float)
    parser.add_argument("jobs")
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--files", default="var/test-files")
    args = parser.parse_args()
    settings = Settings(
        env="test",
        database=DatabaseSettings(url=args.url, pool_size=5),
        storage={"directory": Path(args.files)},  # type: ignore[arg-type]
        scheduler={"enabled": False},
    )  # type: ignore[arg-type]
    domain = build_domain(settings, ManualClock(datetime.fromisoformat(args.now)))

    def after_timer(session: Session, result: StepResult) -> None:
        print(f"fired {result.instance_id}", file=sys.stderr, flush=True)
        time.sleep(args.slow)  # still inside the instance's transaction

    scheduler = domain.scheduler(after_timer=after_timer, batch_size=5)
    time.sleep(max(0.0, args.go_at - time.time()))
    totals = dict.fromkeys(args.jobs.split(","), 0)
    while True:
        done = {job: scheduler.run_once(job) for job in totals}
        for job, count in done.items():
            totals[job] += count
        if not any(done.values()):
            break
    print(json.dumps(totals), flush=True)
    domain.db.dispose()


if __name__ == "__main__":
    main()
