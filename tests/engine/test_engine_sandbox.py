"""The restricted script engine: what BPMN scripts may and may not do."""

from __future__ import annotations

import time

import pytest

from engine.sandbox import Sandbox, ScriptBudgetExceeded, ScriptError, ScriptRefused

ESCAPES = [
    "x = __import__('os').getpid()",
    "x = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen']",
    "x = open('/etc/passwd').read()",
    "x = getattr(1, '__class__')",
    "x = type(1)",
]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(max_steps=100_000)


def test_normal_scripts_and_safe_builtins_work(sandbox) -> None:
    data = {"items": [3, 1, 2], "name": "Nguyễn Văn A"}
    sandbox.execute(
        "total = sum(items) + len(name)\n"
        "ordered = sorted(items)\n"
        "pairs = dict((str(i), v) for i, v in enumerate(items))\n"
        "ok = all([v > 0 for v in items]) and any([v > 2 for v in items])\n"
        "n = 0\nwhile n < 5:\n    n += 1\n"
        "r = round(abs(-2.456), 1) + float(int('3')) + max(items) - min(items)\n",
        data,
    )
    assert data["total"] == 18 and data["ordered"] == [1, 2, 3] and data["pairs"]["0"] == 3
    assert data["ok"] is True and data["n"] == 5 and data["r"] == 7.5
    assert not any(k.startswith("_") for k in data)  # sandbox helpers are removed again
    assert sandbox.evaluate("quyet_dinh == 'tiep_nhan'", {"quyet_dinh": "tiep_nhan"}) is True


@pytest.mark.parametrize("source", ESCAPES)
def test_escapes_are_refused_at_compile_and_run_time(sandbox, source) -> None:
    reason = sandbox.check(source, mode="exec")
    assert reason is not None
    with pytest.raises(ScriptRefused) as refused:
        sandbox.execute(source, {})
    assert not isinstance(refused.value, SyntaxError)


def test_format_attribute_walk_is_refused_at_run_time(sandbox) -> None:
    assert sandbox.check("x = '{0.__class__}'.format(1)", mode="exec") is None
    with pytest.raises(NotImplementedError):
        sandbox.execute("x = '{0.__class__}'.format(1)", {})


def test_syntax_errors_are_not_syntax_error_instances(sandbox) -> None:
    with pytest.raises(ScriptRefused) as refused:
        sandbox.execute("x = ", {})
    assert "SyntaxError" in str(refused.value) and not isinstance(refused.value, SyntaxError)


@pytest.mark.parametrize(
    "source",
    [
        "while True:\n    pass",
        "n = 0\nwhile True:\n    n += 1",
        "for i in range(10):\n    while 1:\n        i += 1",
    ],
)
def test_infinite_loops_are_stopped(sandbox, source) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptBudgetExceeded):
        sandbox.execute(source, {})
    assert time.monotonic() - started < 5


def test_huge_iterations_are_stopped(sandbox) -> None:
    with pytest.raises(ValueError, match="range"):
        sandbox.execute("x = sum(range(10 ** 12))", {})
    with pytest.raises(ScriptBudgetExceeded):
        sandbox.execute("x = [i for i in range(90000) for j in range(90000)]", {})


def test_compiled_code_is_cached(sandbox) -> None:
    sandbox.evaluate("a + 1", {"a": 1})
    sandbox.evaluate("a + 1", {"a": 2})
    assert sandbox.local._compile_eval.cache_info().hits >= 1  # type: ignore[attr-defined]


def test_simple_expressions_run_here_and_scripts_in_a_worker(sandbox) -> None:
    assert sandbox.evaluate("quyet_dinh == 'tiep_nhan' and not da_nop", {"quyet_dinh": "tiep_nhan", "da_nop": False})
    assert sandbox.pool._idle == []  # gateway conditions and literal parameters never start a worker
    data = {"so": 3}
    sandbox.execute("so = so * 2", data)
    assert data == {"so": 6} and len(sandbox.pool._idle) == 1
    assert sandbox.evaluate("sum([so, 1])", data) == 7 and len(sandbox.pool._idle) == 1  # the worker is reused
    sandbox.close()
    assert sandbox.pool._idle == []


def test_the_worker_sees_none_of_the_servers_environment(sandbox, monkeypatch) -> None:
    monkeypatch.setenv("MOTCUA_AUTH__SECRET_KEY", "bí mật của máy chủ")
    data: dict[str, object] = {}
    with pytest.raises(ScriptError, match="ImportError: __import__ not found"):
        sandbox.execute("import os\nx = os.environ", data)
    sandbox.execute("x = 1", data)
    [worker] = sandbox.pool._idle
    environ = open(f"/proc/{worker.proc.pid}/environ", "rb").read()  # noqa: PTH123, SIM115
    assert b"MOTCUA" not in environ and environ == b""
    sandbox.close()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 2 ** 200000", "a power (bits) would have 200,000 (limit 100,000)"),
        ("x = (1 << 60000) * (1 << 60000)", "a product (bits) would have 120,002 (limit 100,000)"),
        ("x = [0] * 500000\nx *= 3", "a repeated sequence (items) would have 1,500,000 (limit 1,000,000)"),
    ],
)
def test_operators_refuse_results_over_the_limits(sandbox, source, message) -> None:
    with pytest.raises(ScriptBudgetExceeded, match=r"^result too large: ") as refused:
        sandbox.execute(source, {})
    assert message in str(refused.value)
    data: dict[str, object] = {}
    sandbox.execute("x = 2 ** 64 * 3\ny = 'ab' * 1000\nz = 1 << 100", data)
    assert data == {"x": 3 * 2**64, "y": "ab" * 1000, "z": 1 << 100}



@pytest.mark.parametrize("source", ["+".join(["a"] * 50_000), "-" * 50_000 + "a", "not " * 20_000 + "a"])
def test_code_nested_beyond_the_parser_is_refused_not_raised(sandbox, source) -> None:
    """The parser's RecursionError / MemoryError became a 500 at deploy; it is a refusal with the reason."""
    assert "nested too deeply" in (sandbox.check(source, mode="eval") or "")
    with pytest.raises(ScriptRefused):
        sandbox.evaluate(source, {"a": 1})


def test_code_longer_than_the_limit_is_refused(sandbox) -> None:
    assert "longer than" in (sandbox.check("x = 1\n" * 20_000, mode="exec") or "")
