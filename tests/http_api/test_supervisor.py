"""The supervisor `serve --workers N` becomes (api/supervisor.py), watching real child processes of this
test: a process that fails to start stops the server with uvicorn's code; one that dies is replaced after a
pause; stopping ends every process and removes the files it was given. The whole server under it is
tested in test_serve_workers.py."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import supervisor
from api.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


def _exits(code: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", f"import sys; sys.exit({code})"])


def test_a_startup_failure_stops_the_server_with_its_code(listening: socket.socket, tmp_path: Path) -> None:
    lock = tmp_path / "argon2.lock"
    lock.touch()
    sleeper = subprocess.Popen(SLEEPER)
    failing = _exits(supervisor.STARTUP_FAILURE)
    watcher = Supervisor(fd=listening.fileno(), pids=[sleeper.pid, failing.pid], remove=[lock], command=SLEEPER)
    started = time.monotonic()
    assert watcher.run() == supervisor.STARTUP_FAILURE
    assert time.monotonic() - started < 10
    assert sleeper.poll() is not None  # the other process was stopped, not left running
    assert not lock.exists()


def test_a_process_that_dies_is_replaced_after_a_pause_and_stop_ends_the_replacement(
    listening: socket.socket, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="motcua.supervisor")
    dying = _exits(1)
    # The replacement inherits the listening socket (the number it is told) and stays up until stopped.
    marker = tmp_path / "replacement-started"
    command = [sys.executable, "-c", f"import pathlib, socket, time; s = socket.socket(fileno={listening.fileno()}); "
               f"pathlib.Path({str(marker)!r}).write_text(str(s.getsockname()[1])); time.sleep(120)"]
    watcher = Supervisor(fd=listening.fileno(), pids=[dying.pid], command=command)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not marker.exists():
            time.sleep(0.1)
        assert marker.exists(), caplog.text
        assert marker.read_text() == str(listening.getsockname()[1])
        assert f"Server process [{dying.pid}] exited (exit code 1); a new one starts in 1 s." in caplog.text
        replacement = watcher.slots[0].popen
        assert replacement is not None and replacement.poll() is None
    finally:
        watcher.stop.set()
        thread.join(timeout=40)
    assert not thread.is_alive()
    assert replacement.poll() is not None  # stopped with the supervisor
    assert watcher.exit_code == 0


def test_a_crash_loop_waits_longer_each_time() -> None:
    """Each death soon after a start doubles the pause (1, 2, 4… up to the cap); a long life resets it."""
    watcher = Supervisor(fd=0, pids=[], command=SLEEPER)
    pauses = []
    for _ in range(7):
        process = _exits(1)
        process.wait()
        pause = pauses[-1] if pauses else 0.0
        watcher.slots = [supervisor._Slot(pid=process.pid, started=time.monotonic(), pause=pause, popen=process)]
        watcher._reap()
        pauses.append(watcher.slots[0].pause)
    cap = supervisor.MAX_RESTART_PAUSE_SECONDS
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, cap, cap]
    process = _exits(1)
    process.wait()
    watcher.slots = [supervisor._Slot(pid=process.pid, started=time.monotonic() - supervisor.QUICK_DEATH_SECONDS - 1,
                                      pause=16.0, popen=process)]
    watcher._reap()
    assert watcher.slots[0].pause == 0.0


def test_when_the_exec_fails_the_command_supervises_its_processes_itself(tmp_path: Path) -> None:
    """The server processes are already running when the command replaces itself: if the exec is refused
    (here: made to fail), they still get a supervisor, and the startup failure still ends the server."""
    lock = tmp_path / "argon2.lock"
    lock.touch()
    script = (
        "import os, socket, subprocess, sys\n"
        "from api import supervisor\n"
        "def refuse(*args): raise OSError(12, 'Cannot allocate memory')\n"
        "os.execv = refuse\n"
        "sock = socket.create_server(('127.0.0.1', 0))\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import sys; sys.exit({supervisor.STARTUP_FAILURE})'])\n"
        f"supervisor.exec_supervisor(fd=sock.fileno(), pids=[child.pid], remove=[{str(lock)!r}])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == supervisor.STARTUP_FAILURE, result.stderr
    assert "the supervisor could not start ([Errno 12] Cannot allocate memory)" in result.stderr
    assert "failed to start (exit code 3): stopping the server" in result.stderr
    assert not lock.exists()
