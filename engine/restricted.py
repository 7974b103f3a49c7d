"""The sandbox's policy: RestrictedPython compilation, guarded operators and a loop/time budget.

Imports only the standard library and RestrictedPython: the worker process (engine/sandbox_worker.py) loads
this module on its own, without the engine package."""

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
# One operation may build at most this: ints of 100 000 bits (~30 000 digits), sequences of 1 000 000 items.
# `10 ** (10 ** 7)` alone held the GIL for 10 s and `'a' * 10 ** 9` took 1 GB before these checks.
MAX_INT_BITS = 100_000
MAX_ITEMS = 1_000_000


class ScriptRefused(Exception):
    """Code the sandbox will not compile. Not a SyntaxError: Spiff's error formatter chokes on those."""


class ScriptBudgetExceeded(Exception):
    """A script ran too long (`while True: pass`), used too much memory or built too large a value."""


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


_BINARY = {"**": operator.pow, "*": operator.mul, "<<": operator.lshift, "+": operator.add}
_GUARDED_AST_OPS = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<", ast.Add: "+"}


def _limit(what: str, size: int, limit: int) -> None:
    if size > limit:
        raise ScriptBudgetExceeded(f"result too large: {what} would have {size:,} (limit {limit:,})")


def _check_operands(op: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, a power/product/shift/concatenation bigger than the limits."""
    ints = isinstance(left, int) and isinstance(right, int)
    if op == "**" and ints and right > 0 and abs(left) > 1:
        _limit("a power (bits)", (abs(left).bit_length() - 1) * right, MAX_INT_BITS)
    elif op == "<<" and ints and right > 0 and left:
        _limit("a shift (bits)", left.bit_length() + right, MAX_INT_BITS)
    elif op == "*" and ints:
        _limit("a product (bits)", left.bit_length() + right.bit_length(), MAX_INT_BITS)
    elif op == "*" and isinstance(left, int) != isinstance(right, int):
        sequence, count = (right, left) if isinstance(left, int) else (left, right)
        if hasattr(sequence, "__len__"):
            _limit("a repeated sequence (items)", len(sequence) * count, MAX_ITEMS)
    elif op == "+" and hasattr(left, "__len__") and hasattr(right, "__len__"):
        _limit("a concatenation (items)", len(left) + len(right), MAX_ITEMS)


def _binop(op: str, left: Any, right: Any) -> Any:
    _check_operands(op, left, right)
    return _BINARY[op](left, right)


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    _check_operands(op[:-1], target, value)
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
    """RestrictedPython's policy plus a `_loop_tick_()` call at the top of every while-loop body, `**`, `*`,
    `<<` and `+` routed through `_binop_` (size checks), and no classes or generator functions: neither can
    be kept in task data, which is stored as JSON.

    for-loops and comprehensions already go through `_getiter_`, which counts too."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        op = _GUARDED_AST_OPS.get(type(node.op))
        if op is None:
            return node
        call = ast.Call(
            func=ast.Name(id="_binop_", ctx=ast.Load()), args=[ast.Constant(op), node.left, node.right], keywords=[]
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class statements are not allowed")
        return node

    def visit_Yield(self, node: ast.Yield) -> ast.AST:
        self.error(node, "yield is not allowed")
        return node

    def visit_YieldFrom(self, node: ast.YieldFrom) -> ast.AST:
        self.error(node, "yield is not allowed")
        return node

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


MAX_SOURCE_CHARS = 100_000  # far above any real script; the parser's own limits are recursion and memory


def _compile(source: str, mode: str) -> Any:
    if len(source) > MAX_SOURCE_CHARS:
        raise ScriptRefused(f"the code is longer than {MAX_SOURCE_CHARS:,} characters")
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    try:
        result = compiler(source, "<string>", policy=_BudgetedTransformer)
        errors = list(result.errors) + _check_names(source, mode)
    except (RecursionError, MemoryError) as exc:  # `a+a+…` or `not not …` nested beyond the parser
        raise ScriptRefused(f"the code is nested too deeply ({type(exc).__name__})") from None
    if errors:
        raise ScriptRefused("; ".join(errors))
    return result.code


class Interpreter:
    """Compiles (cached) and runs restricted code in this process. Thread-safe.

    Bounds loop steps, loop time and the size of what one operator builds; it cannot interrupt one long C-level
    call (e.g. `list.count` over a huge nested list): engine.sandbox.Sandbox runs such code in a worker."""

    def __init__(self, *, max_steps: int = 1_000_000, max_seconds: float = 2.0, cache_size: int = 4096) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self._compile_exec = functools.lru_cache(maxsize=cache_size)(functools.partial(_compile, mode="exec"))
        self._compile_eval = functools.lru_cache(maxsize=cache_size)(functools.partial(_compile, mode="eval"))

    def compile(self, source: str, *, mode: str) -> Any:
        """The code object (cached); ScriptRefused when the policy refuses the source."""
        if mode == "exec":
            return self._compile_exec(source)
        return self._compile_eval(source.strip())

    def check(self, source: str, *, mode: str) -> str | None:
        """Deploy-time check: None when the code compiles under the policy, else the reason."""
        try:
            self.compile(source, mode=mode)
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
            "_binop_": _binop,
        }

    def evaluate(self, expression: str, context: dict[str, Any], external: dict[str, Any] | None = None) -> Any:
        code = self.compile(expression, mode="eval")
        scope = self._globals()
        scope.update(external or {})
        scope.update(context)
        return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython

    def execute(self, script: str, context: dict[str, Any], external: dict[str, Any] | None = None) -> None:
        """Run `script` with `context` (task data) as its namespace; helpers are removed afterwards."""
        code = self.compile(script, mode="exec")
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
