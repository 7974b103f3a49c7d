"""Restricted execution of BPMN scripts and expressions (RestrictedPython) with a loop/time budget."""

from __future__ import annotations

import ast
import functools
import operator
import time
from collections.abc import Iterable, Iterator
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer

# Builtins that can reach the interpreter (files, code objects, frames) even without dunder access.
FORBIDDEN_NAMES = frozenset(
    {
        "open",
        "exec",
        "eval",
        "compile",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "breakpoint",
        "input",
        "help",
        "memoryview",
        "type",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "dir",
        "id",
    }
)
MAX_RANGE = 100_000


class ScriptRefused(Exception):
    """Code the sandbox will not compile. Not a SyntaxError: Spiff's error formatter chokes on those."""


class ScriptBudgetExceeded(Exception):
    """A script ran too many loop iterations or for too long (e.g. `while True: pass`)."""


_INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "|=": operator.ior,
    "&=": operator.iand,
    "^=": operator.ixor,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE[op](target, value)


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ValueError(f"range() of {len(r)} items exceeds the limit of {MAX_RANGE}")
    return r


SAFE_BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "len": len,
    "sum": sum,
    "min": min,
    "max": max,
    "sorted": sorted,
    "any": any,
    "all": all,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "tuple": tuple,
    "set": set,
    "range": _safe_range,
    "enumerate": enumerate,
    "zip": zip,
    "round": round,
    "abs": abs,
    "isinstance": isinstance,
    "reversed": reversed,
    "Exception": Exception,
    "ValueError": ValueError,
    "KeyError": KeyError,
    "TypeError": TypeError,
}


class _BudgetedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus a `_loop_tick_()` call at the top of every while-loop body.

    for-loops and comprehensions already go through `_getiter_`, which counts too."""

    def visit_While(self, node: ast.While) -> ast.AST:
        node = super().visit_While(node)
        tick = ast.Expr(value=ast.Call(func=ast.Name(id="_loop_tick_", ctx=ast.Load()), args=[], keywords=[]))
        node.body.insert(0, ast.copy_location(tick, node))
        ast.fix_missing_locations(node)
        return node


class _Budget:
    def __init__(self, max_steps: int, max_seconds: float) -> None:
        self.steps = 0
        self.max_steps = max_steps
        self.deadline = time.monotonic() + max_seconds

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise ScriptBudgetExceeded(f"script exceeded {self.max_steps} loop iterations")
        if self.steps % 1024 == 0 and time.monotonic() > self.deadline:
            raise ScriptBudgetExceeded("script exceeded its time budget")

    def getiter(self, obj: Iterable[Any]) -> Iterator[Any]:
        for item in obj:
            self.tick()
            yield item


def _check_names(tree_source: str, mode: str) -> list[str]:
    try:
        tree = ast.parse(tree_source, mode=mode)
    except SyntaxError:
        return []  # RestrictedPython reports the syntax error itself
    return sorted(
        {
            f"name '{node.id}' is not allowed"
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES
        }
    )


def _compile(source: str, mode: str) -> Any:
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    result = compiler(source, "<string>", policy=_BudgetedTransformer)
    errors = list(result.errors) + _check_names(source, mode)
    if errors:
        raise ScriptRefused("; ".join(errors))
    return result.code


class Sandbox:
    """Compiles (cached) and runs restricted code. Built once per Engine; thread-safe."""

    def __init__(
        self, *, max_steps: int = 1_000_000, max_seconds: float = 2.0, cache_size: int = 4096
    ) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self._compile_exec = functools.lru_cache(maxsize=cache_size)(functools.partial(_compile, mode="exec"))
        self._compile_eval = functools.lru_cache(maxsize=cache_size)(functools.partial(_compile, mode="eval"))

    def check(self, source: str, *, mode: str) -> str | None:
        """Deploy-time check: None when the code compiles under the policy, else the reason."""
        try:
            (self._compile_exec if mode == "exec" else self._compile_eval)(
                source.strip() if mode == "eval" else source
            )
        except ScriptRefused as exc:
            return str(exc)
        return None

    def _globals(self) -> dict[str, Any]:
        budget = _Budget(self.max_steps, self.max_seconds)
        return {
            "__builtins__": SAFE_BUILTINS,
            "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": budget.getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard,
            "_inplacevar_": _inplacevar,
            "_loop_tick_": budget.tick,
        }

    def evaluate(
        self, expression: str, context: dict[str, Any], external: dict[str, Any] | None = None
    ) -> Any:
        code = self._compile_eval(expression.strip())
        scope = self._globals()
        scope.update(external or {})
        scope.update(context)
        return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython

    def execute(self, script: str, context: dict[str, Any], external: dict[str, Any] | None = None) -> None:
        """Run `script` with `context` (task data) as its namespace; helpers are removed afterwards."""
        code = self._compile_exec(script)
        helpers = self._globals()
        helpers.update(external or {})
        clash = set(helpers).intersection(context)
        if clash:
            raise ValueError(f"task data overwrites predefined names: {sorted(clash)}")
        context.update(helpers)
        try:
            exec(code, context)  # noqa: S102 - compiled by RestrictedPython
        finally:
            for key in list(context):
                if key in helpers or callable(context[key]):
                    context.pop(key)
