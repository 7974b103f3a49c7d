"""The results table (each figure, its target, PASS/MISS per backend) and docs/PERFORMANCE.md."""

from __future__ import annotations

import platform
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import PG_ADMIN_URL, ROOT
from sqlalchemy import create_engine, text

DOC = ROOT / "docs" / "PERFORMANCE.md"
NOTES_MARK = "<!-- notes: kept by bench.py when it rewrites this file -->"

Row = tuple[str, str, Callable[[dict[str, Any]], float | None], Callable[[dict[str, Any], float], bool] | None]


def _q(size: int, name: str, key: str = "p95") -> Callable[[dict[str, Any]], float | None]:
    return lambda r: r["queries"][size][name][key] if size in r.get("queries", {}) else None


def rows(sizes: list[int]) -> list[Row]:
    small, big = sizes
    out: list[Row] = [
        ("1. raw engine cycle p50 (ms)", "floor (ref. ≈4 ms)", lambda r: r["raw"]["p50"], None),
        ("1. raw engine cycle p95 (ms)", "—", lambda r: r["raw"]["p95"], None),
        ("2. HTTP complete, 1 client p50 (ms)", "≤ 3× raw p50",
         lambda r: r["http1"]["p50"], lambda r, v: v <= 3 * r["raw"]["p50"]),
        ("2. HTTP complete, 1 client p95 (ms)", "—", lambda r: r["http1"]["p95"], None),
        ("2. HTTP complete, 1 client p99 (ms)", "—", lambda r: r["http1"]["p99"], None),
        ("2. HTTP complete, 1 client (tasks/s)", "—", lambda r: r["http1"]["throughput"], None),
        ("2. HTTP complete, 8 clients p50 (ms)", "—", lambda r: r["http8"]["p50"], None),
        ("2. HTTP complete, 8 clients p95 (ms)", "—", lambda r: r["http8"]["p95"], None),
        ("2. HTTP complete, 8 clients p99 (ms)", "—", lambda r: r["http8"]["p99"], None),
        ("2. HTTP complete, 8 clients (tasks/s)", "≥ 150/s",
         lambda r: r["http8"]["throughput"], lambda r, v: v >= 150),
        ("2. same, several server processes p50 (ms)", "—", lambda r: r["http8_multi"]["p50"], None),
        ("2. same, several server processes p99 (ms)", "—", lambda r: r["http8_multi"]["p99"], None),
        ("2. same, several server processes (tasks/s)", "≥ 150/s",
         lambda r: r["http8_multi"]["throughput"], lambda r, v: v >= 150),
        ("3. notification commit→emulator p50 (ms)", "—", lambda r: r["notify"]["p50"], None),
        ("3. notification commit→emulator p99 (ms)", "< 1000 ms",
         lambda r: r["notify"]["p99"], lambda r, v: v < 1000),
        ("4. timer lateness p50 (ms)", "—", lambda r: r["timers"]["p50"], None),
        ("4. timer lateness p99 (ms)", "< 5000 ms", lambda r: r["timers"]["p99"], lambda r, v: v < 5000),
    ]
    for size in (small, big):
        for name, label in (("tasks", "task list (mine, by due)"), ("code", "lookup by code"),
                            ("id", "lookup by ID number")):
            out.append((f"5. {label} p95 @{size:,} (ms)", "< 20 ms" if size == big else "—", _q(size, name),
                        (lambda r, v: v < 20) if size == big else None))
    for size in (small, big):
        out.append((f"5. QĐ 766 statistics, whole province, one month p50 @{size:,} (ms)", "—",
                    _q(size, "statistics", "p50"), None))
    out += [
        ("6. reminder pass over open dossiers (s)", "—", lambda r: r["scan"]["seconds"], None),
        ("6. due-reminder scan, first batch (ms)", "—", lambda r: r["scan"]["scan_ms"], None),
        ("7. server RSS at rest (MB)", "< 400 MB", lambda r: r["rss_rest"], lambda r, v: v < 400),
        ("7. server RSS under load, peak (MB)", "< 400 MB", lambda r: r["rss_load"], lambda r, v: v < 400),
        ("7. same, several server processes together (MB)", "< 400 MB", lambda r: r["rss_load_multi"],
         lambda r, v: v < 400),
    ]
    return out


def _fmt(value: float | None) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def table(results: list[dict[str, Any]], *, sizes: list[int]) -> str:
    header = "| figure | target | " + " | ".join(r["backend"] for r in results) + " |"
    lines = [header, "|" + "---|" * (2 + len(results))]
    for label, target, get, check in rows(sizes):
        cells = []
        for result in results:
            try:
                value = get(result)
            except (KeyError, TypeError):
                value = None
            verdict = ""
            if check is not None and value is not None and value == value:
                verdict = " PASS" if check(result, value) else " **MISS**"
            cells.append(_fmt(value) + verdict)
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines.append("")
    for result in results:
        lines.append(f"{result['backend']}: " + details(result))
    return "\n".join(lines)


def details(r: dict[str, Any]) -> str:
    workers = r.get("workers", 1)
    parts = ["one server process with the Zalo emulator mounted in it"
             + (f"; the 'several server processes' rows: `serve --workers {workers}`, the emulator in a process of its "
                "own (not counted in the RSS)" if workers > 1 else ""),
             f"raw n={r['raw']['n']}", f"HTTP n={r['http1']['n']}+{r['http8']['n']}",
             f"notifications n={r['notify']['n']} (unsent {r['notify']['unsent']})",
             f"timers fired {r['timers']['n']} of {r['timers']['n'] + r['timers']['missing']} measured "
             f"among {r['timers']['waiting']:,} waiting"]
    for size, load in r.get("load", {}).items():
        q = r["queries"][size]
        parts.append(f"load to {size:,}: {load['inserted']:,} rows in {load['seconds']:.0f} s, "
                     f"'mine' holds {q['mine_total']:,} tasks")
    scan = r["scan"]
    parts.append(f"reminder pass: {scan['open']:,} open dossiers, {scan['recorded']} reminders recorded"
                 + (f", error {scan['error']}" if scan["error"] else ""))
    parts.append(f"RSS at the end {r['rss_end']:.0f} MB")
    return "; ".join(parts) + "."


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            pg = str(connection.execute(text("SHOW server_version")).scalar())
        engine.dispose()
    except Exception:  # noqa: BLE001 - not measured
        pg = "not available"


    return {"cpus": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
            "memory": f"{int(mem) / 1024 / 1024:.1f} GiB", "cpu": cpu, "python": platform.python_version(),
            "postgresql": pg, "sqlite": sqlite3.sqlite_version, "date": time.strftime("%Y-%m-%d %H:%M %Z")}


def write_doc(results: list[dict[str, Any]], *, table: str, quick: bool, minutes: float) -> Path:
    """Rewrite the measured part of docs/PERFORMANCE.md; the hand-written notes after NOTES_MARK stay."""
    m = machine()
    notes = ""
    if DOC.exists() and NOTES_MARK in DOC.read_text():
        notes = DOC.read_text().split(NOTES_MARK, 1)[1]
    head = f"""# Performance

Measured by `make bench` (`tests/benchmarks/bench.py{' --quick' if quick else ''} --write-doc`), which rewrites
this part; the notes below the mark are kept.

Run of {m['date']}: {m['cpus']} CPUs ({m['cpu']}), {m['memory']} RAM, Python {m['python']},
PostgreSQL {m['postgresql']}, SQLite {m['sqlite']}; {'QUICK smoke sizes, not the targets' if quick else 'full sizes'};
the run took {minutes:.0f} minutes. Targets are for PostgreSQL on this 2-core machine; SQLite is shown for
comparison with the same thresholds.

{table}

"""
    DOC.write_text(head + NOTES_MARK + (notes or "\n"))
    return DOC
