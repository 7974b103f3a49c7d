"""BPMN scripts and expressions, run so that none can stall the process or grow it (engine/README.md, Sandbox).

Simple expressions (names, literals, comparisons, `and`/`or`/`not`, `+`/`-`, subscripts: what gateway
conditions and service-task parameters are) do work linear in their size and run in this process. Everything
else (scripts, calls, loops, comprehensions, `*`/`**`) runs in a worker process (engine/sandbox_worker.py)
under an address-space limit, and is killed when it does not answer in time: one C-level call such as
`list.count` over a huge list holds the GIL of its process, and it must not be ours.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from engine.restricted import Interpreter, ScriptBudgetExceeded, ScriptRefused

__all__ = ["Sandbox", "ScriptBudgetExceeded", "ScriptError", "ScriptRefused"]

WORKER_SCRIPT = Path(__file__).with_name("sandbox_worker.py")
_SIMPLE_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Compare, ast.cmpop, ast.BoolOp, ast.boolop,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.IfExp, ast.Subscript, ast.Slice, ast.Tuple, ast.List,
    ast.Dict, ast.BinOp, ast.Add, ast.Sub,
)  # fmt: skip


class ScriptError(Exception):
    """A script failed in the worker with an exception the engine does not re-create (message keeps its type)."""


_ERRORS: dict[str, type[Exception]] = {
    "ScriptRefused": ScriptRefused,
    "ScriptBudgetExceeded": ScriptBudgetExceeded,
    "ScriptError": ScriptError,
    **{e.__name__: e for e in (NameError, KeyError, IndexError, TypeError, ValueError, ZeroDivisionError,
                               AttributeError, OverflowError, NotImplementedError)},
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def is_simple(expression: str) -> bool:
    """True when `expression` cannot do more work than its size times the size of the data it reads."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError):  # compiling it then refuses it with the reason
        return False
    return all(isinstance(node, _SIMPLE_NODES) for node in ast.walk(tree))


class _Worker:
    """One worker process; the caller holds it exclusively while it asks."""

    def __init__(self, limits: dict[str, Any], start_timeout: float) -> None:
        command = [sys.executable, "-E", "-s", str(WORKER_SCRIPT), json.dumps(limits)]
        self.proc = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env={},  # the server's environment holds its secrets; the worker needs none of it
        )
        if self._read(time.monotonic() + start_timeout) != {"ready": True}:
            self.stop()
            raise ScriptError("the script worker did not start")

    def ask(self, line: bytes, timeout: float) -> dict[str, Any] | None:
        """The worker's answer, or None when it did not answer within `timeout` seconds or died."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except OSError:
            return None
        return self._read(time.monotonic() + timeout)

    def _read(self, deadline: float) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        poller = select.poll()  # not select(): server processes may hold more than 1024 descriptors
        poller.register(fd, select.POLLIN)
        chunks: list[bytes] = []
        while (remaining := deadline - time.monotonic()) > 0:
            if not poller.poll(remaining * 1000):
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            chunks.append(chunk)
            if chunk.endswith(b"\n"):  # one answer per line; JSON escapes newlines inside strings
                return dict(json.loads(b"".join(chunks)))
        return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def _stop_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.stop()
    workers.clear()


class WorkerPool:
    """Up to `size` worker processes, started when first needed; a caller beyond that waits its turn."""

    def __init__(self, *, limits: dict[str, Any], size: int, start_timeout: float = 30.0) -> None:
        self.limits = limits
        self.start_timeout = start_timeout
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)
        weakref.finalize(self, _stop_all, self._idle)  # workers also exit by themselves when our pipe closes

    def ask(self, line: bytes, *, timeout: float) -> dict[str, Any]:
        """Run one request (a JSON line) in a worker; a worker that does not answer in `timeout` s is killed."""
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is not None and not worker.alive():
                worker.stop()  # reap it and close its pipes
                worker = None
            worker = worker or _Worker(self.limits, self.start_timeout)
            try:
                answer = worker.ask(line, timeout)
            except BaseException:  # e.g. a bad answer line: never hand this worker out again
                worker.stop()
                raise
            if answer is None:
                died = not worker.alive()
                worker.stop()
                if died:
                    raise ScriptBudgetExceeded(f"the script's worker stopped (exit code {worker.proc.returncode})")
                raise ScriptBudgetExceeded(f"script exceeded its time budget ({timeout:g} s)")
            if answer.get("retire"):
                worker.stop()
            else:
                with self._lock:
                    self._idle.append(worker)
        return answer

    def close(self) -> None:
        with self._lock:
            _stop_all(self._idle)


class Sandbox:
    """Compiles and runs restricted code (see the module docstring). Built once per Engine; thread-safe.

    Limits of one evaluation: `max_steps` loop iterations, `max_seconds` of loops, then a hard wall of
    `max_seconds + kill_grace` (the worker is killed), `max_memory_bytes` of address space in the worker and
    `max_answer_bytes` of JSON back. Task data crosses to the worker as JSON and must stay JSON: a script that
    leaves a set, a generator or an object in it fails like any other script (an incident naming the task).
    """

    def __init__(
        self,
        *,
        max_steps: int = 1_000_000,
        max_seconds: float = 2.0,
        kill_grace: float = 1.0,
        max_memory_bytes: int = 512 * 1024 * 1024,
        max_answer_bytes: int = 8 * 1024 * 1024,
        workers: int = 4,
        cache_size: int = 4096,
    ) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.kill_grace = kill_grace
        self.local = Interpreter(max_steps=max_steps, max_seconds=max_seconds, cache_size=cache_size)
        self.pool = WorkerPool(
            limits={
                "max_steps": max_steps,
                "max_seconds": max_seconds,
                "max_memory_bytes": max_memory_bytes,
                "max_answer_bytes": max_answer_bytes,
            },
            size=workers,
        )

    def check(self, source: str, *, mode: str) -> str | None:
        """Deploy-time check: None when the code compiles under the policy, else the reason."""
        return self.local.check(source, mode=mode)

    def evaluate(self, expression: str, context: dict[str, Any], external: dict[str, Any] | None = None) -> Any:
        """The expression's value; raises what the expression raised (ScriptRefused, ScriptBudgetExceeded…)."""
        self.local.compile(expression, mode="eval")
        if is_simple(expression):
            return self.local.evaluate(expression, context, external)
        return self._ask("evaluate", expression, context, external)["value"]

    def execute(self, script: str, context: dict[str, Any], external: dict[str, Any] | None = None) -> None:
        """Run `script` on `context` (task data), which is replaced by the script's resulting data."""
        self.local.compile(script, mode="exec")
        result = self._ask("execute", script, context, external)["context"]
        context.clear()
        context.update(result)

    def close(self) -> None:
        """Stop the worker processes (they are started again when needed)."""
        self.pool.close()

    def _ask(self, op: str, source: str, context: dict[str, Any], external: dict[str, Any] | None) -> dict[str, Any]:
        request = {"op": op, "source": source, "context": context, "external": external or {}}
        try:
            line = json.dumps(request).encode() + b"\n"
        except (TypeError, ValueError) as exc:
            raise ScriptError(f"task data is not JSON data: {exc}") from exc
        answer = self.pool.ask(line, timeout=self.max_seconds + self.kill_grace)
        if answer["ok"]:
            return answer
        error = _ERRORS.get(answer["type"], ScriptError)
        raise error(*(answer.get("args") or [answer["message"]]))
