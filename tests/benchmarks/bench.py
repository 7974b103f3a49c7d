"""The benchmark (issue 8): prints every figure next to its target, on SQLite and on PostgreSQL (when
127.0.0.1:5432 answers), and with --write-doc records the run in docs/PERFORMANCE.md.

    .venv/bin/python tests/benchmarks/bench.py [--quick] [--write-doc] [--backends sqlite,postgresql]

Not a test: nothing here is collected by pytest. Sizes: full = 10,000 waiting timers, 100,000 and
1,000,000 dossiers; --quick = a smoke run with small sizes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import loader  # noqa: E402
import queries  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402

from workflows.wiring import Wiring  # noqa: E402

FULL = {"raw": 300, "one": 200, "eight": 100, "timers": 10_000, "timers_measured": 1_000, "timer_window": 60.0,
        "sizes": [100_000, 1_000_000], "samples": 200}
QUICK = {"raw": 50, "one": 40, "eight": 20, "timers": 1_000, "timers_measured": 200, "timer_window": 15.0,
         "sizes": [1_000, 2_000], "samples": 50}


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


PARTS = ("http", "timers", "queries", "reminders", "multi")


def run_backend(backend: str, sizes: dict[str, Any], workdir: Path, *, workers: int = 1,
                parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """The figures of `parts` with one server process (the raw engine always, as every target is a ratio to
    it); then, with "multi" and `workers` > 1, complete-task with 8 clients again against `workers` server
    processes and a separate `motcua worker` for the jobs (RSS summed over the server's processes)."""
    out: dict[str, Any] = {"backend": backend, "workers": workers, "cores": os.cpu_count() or 1}
    with harness.bench_database(backend, workdir) as url:
        port = harness.free_port()
        settings = harness.bench_settings(url, workdir, f"http://127.0.0.1:{port}")
        say(f"{backend}: migrating and seeding")
        wiring = harness.prepare(settings)
        try:
            with harness.running_server(settings, workdir, port) as server:
                harness.wait_for_zalo_tokens(wiring)
                time.sleep(1)
                out["rss_rest"] = server.rss()
                server.reset_peak()
                say(f"{backend}: server up (pid {server.process.pid}, {out['rss_rest']:.0f} MB); raw engine")
                client = harness.Client(server.base, server.emulator)
                walks = scenarios.new_dossiers(client, sizes["raw"] // 7 + 1, notify=True)
                raw = scenarios.raw_engine_cycles(wiring, walks, sizes["raw"])
                out["raw"] = {"n": len(raw), "p50": harness.pct(raw, 50), "p95": harness.pct(raw, 95),
                              "mean": sum(raw) / len(raw)}
                if "http" in parts:
                    say(f"{backend}: complete-task over HTTP, 1 client")
                    one = scenarios.complete_tasks(server.base, 1, sizes["one"], emulator=server.emulator,
                                                   meter=_meter(server, wiring))
                    say(f"{backend}: complete-task over HTTP, 8 clients")
                    eight = scenarios.complete_tasks(server.base, 8, sizes["eight"], emulator=server.emulator,
                                                     meter=_meter(server, wiring))
                    out["rss_load"] = server.peak_rss
                    out["http1"] = {k: v for k, v in one.items() if k != "walks"}
                    out["http8"] = {k: v for k, v in eight.items() if k != "walks"}
                    say(f"{backend}: notification latency")
                    out["notify"] = scenarios.notification_latency(wiring, one["walks"] + eight["walks"])
                if "timers" in parts:
                    say(f"{backend}: timer lateness ({sizes['timers']} waiting timers)")
                    out["timers"] = scenarios.timer_lateness(wiring, waiting=sizes["timers"],
                                                             measured=sizes["timers_measured"],
                                                             window=sizes["timer_window"])
                if "queries" in parts:
                    out["queries"] = {}
                    for size in sizes["sizes"]:
                        say(f"{backend}: loading up to {size:,} dossiers")
                        out.setdefault("load", {})[size] = loader.load_until(wiring, total=size)
                        say(f"{backend}: queries at {size:,} dossiers "
                            f"(loaded in {out['load'][size]['seconds']:.0f} s)")
                        server.reset_peak()
                        out["queries"][size] = queries.measure(server.base, wiring, samples=sizes["samples"])
                        out["rss_load"] = max(out.get("rss_load", 0.0), server.peak_rss)
                    if "http" in parts:
                        say(f"{backend}: complete-task over HTTP, 8 clients, at {sizes['sizes'][-1]:,} dossiers")
                        big = scenarios.complete_tasks(server.base, 8, sizes["eight"], emulator=server.emulator)
                        out["http8_big"] = {k: v for k, v in big.items() if k != "walks"}
                if "reminders" in parts:
                    say(f"{backend}: scheduler reminder pass")
                    out["scan"] = queries.reminder_pass(wiring)
                out["rss_end"] = server.rss()
            if "multi" in parts and workers > 1:
                say(f"{backend}: complete-task over HTTP, 8 clients, {workers} server processes and a worker")
                port = harness.free_port()
                settings = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
                harness.forget_zalo_tokens(wiring)  # they belonged to the previous server's emulator
                with harness.running_server(settings, workdir, port, workers=workers) as server:
                    harness.wait_for_zalo_tokens(wiring)
                    time.sleep(1)
                    server.reset_peak()
                    multi = scenarios.complete_tasks(server.base, 8, sizes["eight"], emulator=server.emulator,
                                                     meter=_meter(server, wiring))
                    out["http8_multi"] = {k: v for k, v in multi.items() if k != "walks"}
                    out["rss_load_multi"] = server.peak_rss
                    out["notify_multi"] = scenarios.notification_latency(wiring, multi["walks"])
        finally:
            wiring.close()
    return out


def _meter(server: harness.Server, wiring: Wiring) -> Callable[[], dict[str, float]]:
    """CPU seconds by role (`harness.CPU_ROLES`) and outbox rows by channel: what one completion costs."""
    return lambda: {**server.cpu(), **scenarios.outbox_rows(wiring)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run of every figure)")
    parser.add_argument("--write-doc", action="store_true", help="record the run in docs/PERFORMANCE.md")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"what to measure besides the raw engine, of {','.join(PARTS)}")
    parser.add_argument("--pg-workers", type=int, default=2,
                        help="server processes on PostgreSQL (one per core; SQLite always runs one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sizes = QUICK if args.quick else FULL
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not harness.pg_available():
        say("PostgreSQL does not answer on 127.0.0.1:5432: measuring SQLite only")
        backends.remove("postgresql")
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        for backend in backends:
            workers = args.pg_workers if backend == "postgresql" else 1
            results.append(run_backend(backend, sizes, Path(tmp), workers=workers,
                                       parts=tuple(p for p in args.parts.split(",") if p)))
    text = report.table(results, sizes=sizes["sizes"])
    print()
    print(text)
    if args.write_doc:
        path = report.write_doc(results, table=text, quick=args.quick, minutes=(time.monotonic() - started) / 60)
        say(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
