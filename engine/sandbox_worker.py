"""The sandbox's worker process: runs restricted scripts and expressions under a hard memory limit.

Started by engine.sandbox.WorkerPool as a script (`python -E -s engine/sandbox_worker.py '<limits JSON>'`), so it
loads engine/restricted.py as a top-level module and never imports the engine package (SpiffWorkflow, SQLModel:
~1 s). One JSON request per line on stdin, one JSON answer per line on stdout; it exits at the end of stdin.
The parent bounds the wall time (it kills a worker that does not answer in time); this process bounds its own
address space with RLIMIT_AS, so a huge value fails here with MemoryError instead of growing the server.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any, BinaryIO

# Exceptions whose type the parent re-creates; anything else arrives as ScriptError "<Type>: <message>".
KNOWN_ERRORS = frozenset(
    {
        "ScriptRefused",
        "ScriptBudgetExceeded",
        "NameError",
        "KeyError",
        "IndexError",
        "TypeError",
        "ValueError",
        "ZeroDivisionError",
        "AttributeError",
        "OverflowError",
        "NotImplementedError",
    }
)


class ScriptBudgetExceeded(Exception):
    """Same name as restricted.ScriptBudgetExceeded: the parent re-creates it by name."""


def _not_json_reason(data: dict[str, Any]) -> str:
    for name, value in data.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            return f"'{name}' holds a {type(value).__name__}"
    return "a value is not JSON"


def _answer(interpreter: Any, request: dict[str, Any], max_answer_bytes: int) -> str:
    if request["op"] == "evaluate":
        value = interpreter.evaluate(request["source"], request["context"], request["external"])
        try:
            answer = json.dumps({"ok": True, "value": value})
        except (TypeError, ValueError):
            raise TypeError(f"the expression's value is a {type(value).__name__}, not JSON data") from None
    else:
        context = request["context"]
        interpreter.execute(request["source"], context, request["external"])
        try:
            answer = json.dumps({"ok": True, "context": context})
        except (TypeError, ValueError):
            raise TypeError(
                f"task data must stay JSON: {_not_json_reason(context)} (sets, generators, objects cannot be stored)"
            ) from None
    if len(answer) > max_answer_bytes:
        raise ScriptBudgetExceeded(f"result too large: {len(answer):,} bytes of JSON (limit {max_answer_bytes:,})")
    return answer


def _error(exc: BaseException, *, retire: bool = False) -> str:
    kind = type(exc).__name__
    if isinstance(exc, MemoryError):
        kind, message = "ScriptBudgetExceeded", "script exceeded its memory budget"
    elif isinstance(exc, RecursionError):
        kind, message = "ScriptBudgetExceeded", "script exceeded its recursion budget"
    else:
        message = str(exc)
    if kind not in KNOWN_ERRORS:
        message, kind = f"{kind}: {message}", "ScriptError"
    args = list(exc.args) if kind == "KeyError" and len(exc.args) == 1 and isinstance(exc.args[0], str) else None
    return json.dumps({"ok": False, "type": kind, "message": message, "args": args, "retire": retire})


def serve(interpreter: Any, stdin: BinaryIO, stdout: BinaryIO, *, max_answer_bytes: int) -> None:
    """Answer requests until stdin ends; stop after a MemoryError (the heap may be fragmented), saying so."""
    for line in stdin:
        exhausted = False
        try:
            answer = _answer(interpreter, json.loads(line), max_answer_bytes)
        except MemoryError as exc:
            exhausted = True
            answer = _error(exc, retire=True)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent
            answer = _error(exc)
        stdout.write(answer.encode() + b"\n")
        stdout.flush()
        if exhausted:
            return


def main() -> None:
    limits = json.loads(sys.argv[1])
    memory = int(limits["max_memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import restricted  # noqa: PLC0415 - run as a script: this directory is sys.path[0]

    interpreter = restricted.Interpreter(max_steps=limits["max_steps"], max_seconds=limits["max_seconds"])
    sys.stdout.buffer.write(b'{"ready": true}\n')
    sys.stdout.buffer.flush()
    serve(interpreter, sys.stdin.buffer, sys.stdout.buffer, max_answer_bytes=int(limits["max_answer_bytes"]))


if __name__ == "__main__":
    main()
