"""Benchmark plumbing: a dedicated database per backend, the real server as a subprocess, RSS sampling,
percentiles and a small HTTP client that logs in as the demo officials."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from connectors.zalo.tokens import DbTokenStore
from workflows.core import migrate
from workflows.core.config import DatabaseSettings, Settings
from workflows.core.db import session_scope
from workflows.seed import seed_all
from workflows.wiring import Wiring, build_wiring

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
PG_ADMIN_URL = os.environ.get("MOTCUA_BENCH_POSTGRES_URL",
                              os.environ.get("MOTCUA_TEST_POSTGRES_URL",
                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
PASSWORD = "motcua-demo"


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not measured"
        return False


@contextmanager
def bench_database(backend: str, workdir: Path) -> Iterator[str]:
    """A fresh database URL for `backend` (SQLite file, or a PostgreSQL database created and dropped)."""
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"motcua_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_settings(url: str, workdir: Path, base_url: str) -> Settings:
    return Settings(env="development", public_base_url=base_url,
                    database=DatabaseSettings(url=url, pool_size=20),
                    storage={"directory": workdir / "files"},  # type: ignore[arg-type]
                    scheduler={"enabled": False})  # type: ignore[arg-type]


def prepare(settings: Settings) -> Wiring:
    """Migrate, load reference data, deploy bpmn/ and the demo officials; the bench's own in-process wiring
    (nothing started in the background)."""
    wiring = build_wiring(settings)
    migrate.upgrade(wiring.db)
    with session_scope(wiring.db) as session:
        seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True)
    return wiring


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pss_mb(pid: int) -> float:
    """Proportional set size: the process's private pages plus its share of the pages it shares (with the
    processes forked from the same parent, and the libraries). Summed over processes it is the memory they
    take together, which RSS would count once per process."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mb(pid: int, *, measure: Callable[[int], float] = rss_mb) -> float:
    """RSS (or `measure`) of a process and all its descendants (the supervisor and its server processes)."""
    total = measure(pid)
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            for child in children.read().split():
                total += tree_rss_mb(int(child), measure=measure)
    except OSError:
        pass
    return total


CPU_ROLES = ("server", "jobs", "postgresql", "emulators", "clients")
# Reading a process's PSS (/proc/<pid>/smaps_rollup) walks its page tables under its memory-map lock: about
# 2.7 ms of CPU for a 300 MB process, so three processes sampled ten times a second took 5-8 % of a core from
# the two the server runs on, and held up its page faults. Memory grows and settles over seconds under load.
MEMORY_SAMPLE_SECONDS = 0.5


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (the postmaster, its backends and helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@dataclass
class Server:
    """`motcua serve` in a subprocess: one server process (on PostgreSQL with the jobs in a process of their
    own beside it), or `workers` processes and `motcua worker`; the Zalo and DVCQG emulators in processes of
    their own (standing in for Zalo and the national portal: not counted)."""

    base: str
    process: subprocess.Popen[bytes]
    emulator: str
    workers: int = 1
    peak_rss: float = 0.0
    log: Path | None = None
    emulator_pids: list[int] = field(default_factory=list)
    worker_pid: int | None = None  # `motcua worker`, beside `serve --workers N --no-scheduler`
    _stop: threading.Event = field(default_factory=threading.Event)

    def cpu_pids(self) -> dict[str, list[int]]:
        """The processes of each role of `CPU_ROLES` (but the clients, which are the bench's): the server's
        (the supervisor and its server processes; on SQLite the one process, which runs the jobs too), the
        jobs' (on PostgreSQL the process `serve` forks, named in the supervisor's first line, or `motcua
        worker`), PostgreSQL's and the emulators'."""
        tree = [self.process.pid, *_children(self.process.pid)]
        jobs = [self.worker_pid] if self.worker_pid is not None else []
        if self.log is not None and self.log.exists():
            for line in self.log.read_text(errors="replace").splitlines():
                if "Supervising" in line and f"[{self.process.pid}]" in line:
                    jobs += [int(pid) for pid in re.findall(r"jobs process (\d+)", line)]
                    break
        return {"server": [pid for pid in tree if pid not in jobs], "jobs": jobs, "postgresql": postgres_pids(),
                "emulators": list(self.emulator_pids)}

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each role's processes (`cpu_pids`) and by this process (the clients)."""
        used = {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in self.cpu_pids().items()}
        return {**used, "clients": cpu_seconds(os.getpid())}

    def rss(self) -> float:
        """All the server's processes together: RSS for one process, PSS summed for several (RSS would
        count what they share once per process). On PostgreSQL even `serve` alone runs several: the
        supervisor, the server process and the jobs' process."""
        several = self.workers > 1 or tree_rss_mb(self.process.pid, measure=lambda _pid: 1.0) > 1
        return tree_rss_mb(self.process.pid, measure=pss_mb if several else rss_mb)

    def sample_forever(self) -> None:
        """The peak of `rss` every `MEMORY_SAMPLE_SECONDS` while the server runs."""
        while not self._stop.wait(MEMORY_SAMPLE_SECONDS):
            try:
                self.peak_rss = max(self.peak_rss, self.rss())
            except OSError:
                return

    def reset_peak(self) -> None:
        self.peak_rss = self.rss()


@contextmanager
def running_server(settings: Settings, workdir: Path, port: int, *, workers: int = 1) -> Iterator[Server]:
    env = {**os.environ, "MOTCUA_ENV": "development", "MOTCUA_DATABASE__URL": settings.database.url,
           "MOTCUA_PUBLIC_BASE_URL": settings.public_base_url,
           "MOTCUA_STORAGE__DIRECTORY": str(settings.storage.directory),
           # The reminder pass is measured on its own (one run at start, none during the query figures).
           "MOTCUA_SCHEDULER__REMINDER_INTERVAL_SECONDS": "86400"}
    log = open(workdir / f"server-{port}.log", "wb")  # noqa: SIM115 - closed below
    # Zalo and the national portal are other organisations' servers: their emulators run in processes of
    # their own, so that what the server's processes spend is the server's work (mounted in the server
    # process, answering the relay's calls cost that process the GIL its requests wait for: issue 22).
    emulators = {"zalo-emulator": free_port(), "dvcqg-emulator": free_port()}
    env["MOTCUA_ZALO__EMULATOR_URL"] = emulator = f"http://127.0.0.1:{emulators['zalo-emulator']}"
    env["MOTCUA_DVCQG__EMULATOR_URL"] = f"http://127.0.0.1:{emulators['dvcqg-emulator']}"
    helpers = [subprocess.Popen([sys.executable, "-m", "api.cli", name, "--port", str(at)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT) for name, at in emulators.items()]
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    if workers > 1:
        # The jobs (relay, timers, reminders) run in a worker of their own, as a centre scaled out would.
        command += ["--workers", str(workers), "--no-scheduler"]
        helpers.append(subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=env,
                                        stdout=log, stderr=subprocess.STDOUT))
    for at in emulators.values():
        _wait_for_port(at)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(base=settings.public_base_url, process=process, emulator=emulator, workers=workers,
                    log=Path(log.name), emulator_pids=[helper.pid for helper in helpers[:2]],
                    worker_pid=helpers[2].pid if len(helpers) > 2 else None)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{server.base}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"the server exited; see {log.name}")
            time.sleep(0.2)
        threading.Thread(target=server.sample_forever, daemon=True).start()
        yield server
    finally:
        server._stop.set()
        for running in (process, *reversed(helpers)):
            running.terminate()
            try:
                running.wait(timeout=20)
            except subprocess.TimeoutExpired:
                running.kill()
        log.close()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


def _wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def forget_zalo_tokens(wiring: Wiring) -> None:
    with session_scope(wiring.db) as session:
        session.exec(text("DELETE FROM zalo_token"))  # type: ignore[call-overload]


def wait_for_zalo_tokens(wiring: Wiring, timeout: float = 30) -> None:
    store = DbTokenStore(wiring.db, cipher=wiring.cipher)
    deadline = time.monotonic() + timeout
    while store.current() is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not obtain Zalo emulator tokens")
        time.sleep(0.2)


class Client:
    """One HTTP client (its own connection pool) acting as whichever demo official a step needs."""

    def __init__(self, base: str, emulator: str | None = None) -> None:
        self.base = base
        self.emulator = emulator or f"{base}/zalo-emulator"
        self.http = requests.Session()
        self._tokens: dict[str, tuple[float, dict[str, str]]] = {}

    def headers(self, username: str) -> dict[str, str]:
        cached = self._tokens.get(username)
        if cached is None or time.monotonic() - cached[0] > 600:  # tokens live 15 minutes
            response = self.http.post(f"{self.base}/api/v1/auth/token",
                                      data={"username": username, "password": PASSWORD}, timeout=30)
            response.raise_for_status()
            cached = (time.monotonic(), {"Authorization": f"Bearer {response.json()['access_token']}"})
            self._tokens[username] = cached
        return cached[1]

    def call(self, method: str, path: str, *, user: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base}{path}", headers=self.headers(user), timeout=60,
                                     **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} as {user}: {response.status_code} {response.text[:500]}")
        return response.json()
