"""The supervisor of `motcua serve` on PostgreSQL, once it has started its processes.

`serve` imports the application, forks the N server processes (`--workers N`) and the jobs' process from
itself (they share the imported pages) and then replaces itself (`exec`) with this module: a small
interpreter that imports the standard library only. Before, the supervisor stayed the process that had
imported the application, and kept the original of every page its children went on to copy (~100 MB under
load, issue 22's memory target, docs/PERFORMANCE.md).

What it does, as uvicorn's supervisor did:
- SIGTERM, SIGINT or SIGQUIT: sends SIGTERM to every process (uvicorn's graceful shutdown: requests in
  flight finish; the jobs' process ends its running jobs), waits up to `STOP_GRACE_SECONDS`, kills what is
  left, removes the files it was told to remove and exits 0.
- A server process that exits while the server runs is replaced by a fresh one (`motcua serve-process`
  on the same listening socket: a full import, a few seconds); the jobs' process by `motcua worker`. A
  process that dies soon after it started is replaced after a growing pause (1 s doubling to
  `MAX_RESTART_PAUSE_SECONDS`), so a crash loop does not spin the CPU.
- A process that exits with uvicorn's startup-failure code (3: the application, the database or the socket
  cannot start) stops the whole server with that code, as uvicorn's supervisor does: every replacement
  would fail the same way, and the operator must see it.

Not done (uvicorn's supervisor did): SIGHUP (restart every process), SIGTTIN / SIGTTOU (one process more or
fewer) and pinging processes to kill a hung one; a process whose event loop hangs is found by `/readyz`.

Run as `python -m api.supervisor --fd FD --pid PID [--pid PID ...] [--jobs-pid PID] [--remove FILE ...]`:
FD is the listening socket (inherited), the PIDs are the server processes and the jobs' process already
started (still its children after the `exec`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

STARTUP_FAILURE = 3  # uvicorn.config.STARTUP_FAILURE, not imported: this process imports the stdlib only
STOP_GRACE_SECONDS = 25.0
MAX_RESTART_PAUSE_SECONDS = 30.0
QUICK_DEATH_SECONDS = 30.0  # a process that lived less than this before dying counts towards the pause

UNKNOWN_STATUS = -1000

logger = logging.getLogger("motcua.supervisor")


def replacement_command(fd: int) -> list[str]:
    """The command that starts one fresh server process serving the listening socket `fd`."""
    return [sys.executable, "-m", "api.cli", "serve-process", "--fd", str(fd)]


JOBS_COMMAND = [sys.executable, "-m", "api.cli", "worker"]  # a fresh jobs' process


def exec_supervisor(*, fd: int, pids: Sequence[int], jobs_pid: int | None = None,
                    remove: Sequence[Path] = ()) -> NoReturn:
    """Replace this process with the supervisor of `pids` (never returns; if the exec fails, this process
    supervises them itself and exits with the supervisor's code). The listening socket `fd` is made
    inheritable so the supervisor can hand it to replacements; every other descriptor Python opened is
    closed on exec."""
    os.set_inheritable(fd, True)
    sys.stdout.flush()
    sys.stderr.flush()
    arguments = [sys.executable, "-m", "api.supervisor", "--fd", str(fd)]
    arguments += [item for pid in pids for item in ("--pid", str(pid))]
    arguments += ["--jobs-pid", str(jobs_pid)] if jobs_pid is not None else []
    arguments += [item for path in remove for item in ("--remove", str(path))]
    try:
        os.execv(sys.executable, arguments)
    except OSError as exc:
        # The processes are running: watch them from here rather than leave them without a supervisor
        # (this process then keeps the application's memory).
        print(f"warning: the supervisor could not start ({exc}); supervising from this process", file=sys.stderr)
        sys.exit(supervise(fd=fd, pids=pids, jobs_pid=jobs_pid, remove=remove))


@dataclass
class _Slot:
    pid: int | None
    started: float
    command: list[str] = field(default_factory=list)  # what replaces the process when it dies
    name: str = "Server process"
    serves: bool = True  # a server process: its replacement inherits the listening socket
    pause: float = 0.0
    restart_at: float | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)


class Supervisor:
    """Watches the server processes in `slots` until told to stop; see the module's docstring."""

    def __init__(self, *, fd: int, pids: Sequence[int], jobs_pid: int | None = None, remove: Sequence[Path] = (),
                 command: Sequence[str] | None = None, jobs_command: Sequence[str] | None = None) -> None:
        self.fd = fd
        server_command = list(command) if command is not None else replacement_command(fd)
        now = time.monotonic()
        self.slots = [_Slot(pid=pid, started=now, command=server_command) for pid in pids]
        if jobs_pid is not None:
            self.slots.append(_Slot(pid=jobs_pid, started=now, name="Jobs process", serves=False,
                                    command=list(jobs_command) if jobs_command is not None else JOBS_COMMAND))
        self.remove = [Path(path) for path in remove]
        self.stop = threading.Event()
        self.exit_code = 0

    def request_stop(self, signum: int, _frame: object = None) -> None:
        logger.info("Received %s, stopping the server processes.", signal.Signals(signum).name)
        self.stop.set()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(signum, self.request_stop)

    def run(self) -> int:
        """Watch until `stop` is set (by a signal, or a startup failure), stop the processes, remove the
        files; the exit code for the server: 0, or 3 after a startup failure."""
        logger.info("Supervising %s [%d]", ", ".join(f"{slot.name.lower()} {slot.pid}" for slot in self.slots),
                    os.getpid())
        try:
            while not self.stop.is_set():
                self._reap()
                self._restart_due()
                self.stop.wait(0.5)
            self._stop_all()
        finally:
            for path in self.remove:
                path.unlink(missing_ok=True)
        logger.info("Stopped supervisor [%d]", os.getpid())
        return self.exit_code

    def _reap(self) -> None:
        for slot in self.slots:
            if slot.pid is None:
                continue
            code = self._exit_code(slot)
            if code is None:
                continue
            now = time.monotonic()
            if code == STARTUP_FAILURE:
                logger.error("%s [%d] failed to start (exit code %d): stopping the server.",
                             slot.name, slot.pid, code)
                self.exit_code = STARTUP_FAILURE
                self.stop.set()
                slot.pid = None
                return
            quick = now - slot.started < QUICK_DEATH_SECONDS
            slot.pause = min(MAX_RESTART_PAUSE_SECONDS, max(1.0, slot.pause * 2)) if quick else 0.0
            logger.warning("%s [%d] exited (%s); a new one starts in %.0f s.",
                           slot.name, slot.pid, _describe(code), slot.pause)
            slot.pid, slot.popen, slot.restart_at = None, None, now + slot.pause

    def _exit_code(self, slot: _Slot) -> int | None:
        """The exit status of the slot's process if it has ended (negative: the signal that ended it)."""
        assert slot.pid is not None
        if slot.popen is not None:
            return slot.popen.poll()
        try:
            pid, status = os.waitpid(slot.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: it has ended, how is not known
            return UNKNOWN_STATUS
        if pid == 0:
            return None
        return os.waitstatus_to_exitcode(status)

    def _restart_due(self) -> None:
        now = time.monotonic()
        for slot in self.slots:
            if slot.pid is None and slot.restart_at is not None and slot.restart_at <= now and not self.stop.is_set():
                slot.popen = subprocess.Popen(slot.command, pass_fds=(self.fd,) if slot.serves else ())
                slot.pid, slot.started, slot.restart_at = slot.popen.pid, now, None
                logger.info("Started %s [%d]", slot.name.lower(), slot.pid)

    def _stop_all(self) -> None:
        running = [slot for slot in self.slots if slot.pid is not None]
        for slot in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(slot.pid, signal.SIGTERM)  # type: ignore[arg-type]
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while running and time.monotonic() < deadline:
            running = [slot for slot in running if self._exit_code(slot) is None]
            if running:
                time.sleep(0.1)
        for slot in running:
            logger.warning("%s [%d] did not stop within %.0f s: killed.", slot.name, slot.pid, STOP_GRACE_SECONDS)
            try:
                os.kill(slot.pid, signal.SIGKILL)  # type: ignore[arg-type]
                os.waitpid(slot.pid, 0)  # type: ignore[arg-type]
            except (ProcessLookupError, ChildProcessError):
                pass


def _describe(code: int) -> str:
    if code == UNKNOWN_STATUS:
        return "status unknown"
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"


def supervise(*, fd: int, pids: Sequence[int], jobs_pid: int | None = None, remove: Sequence[Path] = ()) -> int:
    """Supervise `pids` from this process, with its signal handlers and log lines, until stopped; the exit
    code for the server."""
    # uvicorn's format, so the supervisor's lines read like the server processes' in one log.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s", stream=sys.stderr)
    watcher = Supervisor(fd=fd, pids=pids, jobs_pid=jobs_pid, remove=remove)
    watcher.install_signal_handlers()
    return watcher.run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.supervisor", description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="the listening socket, inherited")
    parser.add_argument("--pid", type=int, action="append", default=[], help="a server process to watch")
    parser.add_argument("--jobs-pid", type=int, default=None, help="the jobs' process to watch")
    parser.add_argument("--remove", type=Path, action="append", default=[], help="a file to remove at exit")
    args = parser.parse_args(argv)
    return supervise(fd=args.fd, pids=args.pid, jobs_pid=args.jobs_pid, remove=args.remove)


if __name__ == "__main__":
    sys.exit(main())
