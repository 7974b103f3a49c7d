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

Row = tuple[str, str, Callable[[dict[str, Any]], float | None],
            Callable[[dict[str, Any], float], bool | None] | None]


def _q(size: int, name: str, key: str = "p95") -> Callable[[dict[str, Any]], float | None]:
    return lambda r: r["queries"][size][name][key] if size in r.get("queries", {}) else None


def _raw_rate(r: dict[str, Any]) -> float:
    """Completions a second the raw engine manages on one thread: 1000 / its p50 cycle."""
    return 1000 / r["raw"]["p50"]


def _ceiling(r: dict[str, Any]) -> float | None:
    """The most completions a second this machine's cores could give at the CPU one completion took in the
    run with two server processes and a worker, counting every process it kept busy (the server's, the
    worker's, PostgreSQL's, the emulators' and the clients'): cores x 1000 / those CPU ms."""
    used = sum(_per("http8_multi", role, 1000)(r) or 0.0 for role in CPU_LABELS)
    return r["cores"] * 1000 / used if used else None


def _pg(check: Callable[[dict[str, Any], float], bool]) -> Callable[[dict[str, Any], float], bool | None]:
    """A target set for PostgreSQL (a centre under load); SQLite's figure is shown without a verdict."""
    return lambda r, v: check(r, v) if r["backend"] == "postgresql" else None


def _scales(r: dict[str, Any], v: float) -> bool:
    # Issue 22: eight clients complete at least 1.5x the raw engine's single-thread rate, and twice one client.
    return v >= 1.5 * _raw_rate(r) and v >= 2 * r["http1"]["throughput"]


def rows(sizes: list[int]) -> list[Row]:
    small, big = sizes
    out: list[Row] = [
        ("1. raw engine cycle p50 (ms)", "floor", lambda r: r["raw"]["p50"], None),
        ("1. raw engine cycle p95 (ms)", "—", lambda r: r["raw"]["p95"], None),
        ("1. raw engine cycle mean (ms)", "—", lambda r: r["raw"]["mean"], None),
        ("1. raw engine rate, one thread (tasks/s)", "= 1000 / raw p50", _raw_rate, None),
        ("2. HTTP complete, 1 client p50 (ms)", "≤ 1.5× raw p50",
         lambda r: r["http1"]["p50"], lambda r, v: v <= 1.5 * r["raw"]["p50"]),
        ("2. HTTP complete, 1 client p95 (ms)", "—", lambda r: r["http1"]["p95"], None),
        ("2. HTTP complete, 1 client (tasks/s)", "—", lambda r: r["http1"]["throughput"], None),
        ("2. HTTP complete, 8 clients p50 (ms)", "—", lambda r: r["http8"]["p50"], None),
        ("2. HTTP complete, 8 clients p99 (ms)", "—", lambda r: r["http8"]["p99"], None),
        ("2. HTTP complete, 8 clients, one process (tasks/s)", "—", lambda r: r["http8"]["throughput"], None),
        ("2. same, 2 server processes + a worker p50 (ms)", "—", lambda r: r["http8_multi"]["p50"], None),
        ("2. same, 2 server processes + a worker p99 (ms)", "—", lambda r: r["http8_multi"]["p99"], None),
        ("2. same, 2 server processes + a worker (tasks/s)", "PG: ≥ 1.5× raw rate and ≥ 2× 1 client",
         lambda r: r["http8_multi"]["throughput"], _pg(_scales)),
        ("2. same: the most the machine's cores give at that CPU per completion (tasks/s)",
         "= cores × 1000 / CPU ms of every process", _ceiling, None),
        ("3. notification commit→Zalo p50, under 8 clients (ms)", "—", lambda r: r["notify"]["p50"], None),
        ("3. notification commit→Zalo p99, under 8 clients (ms)", "< 1000 ms",
         lambda r: r["notify"]["p99"], lambda r, v: v < 1000),
        ("3. notifications unsent at the end", "0", lambda r: r["notify"]["unsent"], lambda r, v: v == 0),
        ("3. same, 2 server processes + a worker p99 (ms)", "< 1000 ms",
         lambda r: r["notify_multi"]["p99"], lambda r, v: v < 1000),
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
        (f"5. HTTP complete, 8 clients, one process, @{big:,} (tasks/s)", "≥ 90 % of the figure above",
         lambda r: r["http8_big"]["throughput"], lambda r, v: v >= 0.9 * r["http8"]["throughput"]),
        ("5. reminder pass over 100,000 open dossiers (s)", "< 10 s", lambda r: r["scan"]["seconds"],
         lambda r, v: v < 10),
        ("5. due-reminder scan, first batch (ms)", "—", lambda r: r["scan"]["scan_ms"], None),
        *_cpu_rows(),
        ("6. server RSS at rest (MB)", "—", lambda r: r["rss_rest"], None),
        ("6. server RSS under load, peak, one process (MB)", "—", lambda r: r["rss_load"], None),
        ("6. 2 server processes under load, together (MB)", "< 400 MB", lambda r: r["rss_load_multi"],
         lambda r, v: v < 400),
    ]
    return out


CPU_LABELS = {"server": "server processes", "jobs": "jobs' process", "postgresql": "PostgreSQL",
              "emulators": "Zalo and DVCQG emulators", "clients": "the clients (bench process)"}


def _per(run: str, key: str, scale: float = 1.0) -> Callable[[dict[str, Any]], float | None]:
    return lambda r: r[run]["per_completion"][key] * scale if key in r[run]["per_completion"] else 0.0


def _cpu_rows() -> list[Row]:
    """Target 6: what one completion costs each process, under 8 clients (the relay's, the status sync's and
    the webhooks' work for its messages included), and the messages it causes."""
    out: list[Row] = [(f"6. CPU per completion, 8 clients, one process: {label} (ms)", "—",
                       _per("http8", role, 1000), None) for role, label in CPU_LABELS.items()]
    out += [
        ("6. same, 2 server processes + a worker: server processes and worker (ms)", "—",
         lambda r: sum(_per("http8_multi", role, 1000)(r) or 0.0 for role in ("server", "jobs")), None),
        ("6. Zalo messages per completion", "—", _per("http8", "zalo"), None),
        ("6. DVCQG status-sync records per completion", "—", _per("http8", "dvcqg"), None),
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
                try:
                    passed = check(result, value)
                except (KeyError, TypeError, ZeroDivisionError):
                    passed = None  # what it is compared with was not measured in this run
                verdict = "" if passed is None else " PASS" if passed else " **MISS**"
            cells.append(_fmt(value) + verdict)
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines.append("")
    for result in results:
        lines.append(f"{result['backend']}: " + details(result))
    return "\n".join(lines)


def details(r: dict[str, Any]) -> str:
    workers = r.get("workers", 1)
    parts = ["one server process"
             + (" and the jobs in a process of their own (`motcua serve` on PostgreSQL; its memory is the PSS "
                "summed over the supervisor, the server and the jobs' process)" if r["backend"] == "postgresql"
                else " with the jobs in it")
             + "; the Zalo and DVCQG emulators in processes of their own (standing in for Zalo and the national "
               "portal: not counted in any figure of the server's memory)"
             + (f"; the 'server processes + a worker' rows: `serve --workers {workers} --no-scheduler` and "
                "`motcua worker` for the jobs (the memory is the sum of the server processes' PSS)"
                if workers > 1 else ""),
             f"raw n={r['raw']['n']}"]
    if "http1" in r:
        parts.append(f"HTTP n={r['http1']['n']}+{r['http8']['n']}")
        parts.append(f"notifications n={r['notify']['n']} (unsent {r['notify']['unsent']})")
    if "timers" in r:
        t = r["timers"]
        parts.append(f"timers fired {t['n']} of {t['n'] + t['missing']} measured among {t['waiting']:,} waiting")
    for size, load in r.get("load", {}).items():
        q = r["queries"][size]
        parts.append(f"load to {size:,}: {load['inserted']:,} rows in {load['seconds']:.0f} s, "
                     f"'mine' holds {q['mine_total']:,} tasks")
    if "scan" in r:
        scan = r["scan"]
        parts.append(f"reminder pass: {scan['open']:,} open dossiers, {scan['recorded']} reminders recorded"
                     + (f", error {scan['error']}" if scan["error"] else ""))
    if "rss_end" in r:
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
