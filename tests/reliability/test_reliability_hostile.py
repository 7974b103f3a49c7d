"""Hostile input: generated requests against our OpenAPI (schemathesis), oversized and malformed uploads,
BPMN that tries to reach the OS or loop forever, huge and invalid bodies, SQL-looking filters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import hypothesis
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

Login = Callable[[str], dict[str, str]]
MAX_EXAMPLES = 6


def check_operation(operation: Any, headers: dict[str, str], written: Any, sent: Counter[str],
                    failures: list[str]) -> None:
    @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        sent[operation.label] += 1
        written.response(f"schemathesis {operation.label} → {response.status_code}",
                         response.content.decode("utf-8", "replace"))
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        except Exception as exc:  # noqa: BLE001 - collected, reported together
            failures.append(f"{operation.label} → {response.status_code}: {str(exc)[:300]}")

    run()


def test_generated_requests_never_5xx_and_match_the_schema(app_client: TestClient, login: Login, written: Any,
                                                          backend: str, figures: Counter[str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app_client.app)
    headers = login("mot_cua")
    failures: list[str] = []
    sent: Counter[str] = Counter()
    for result in schema.get_all_operations():
        check_operation(result.ok(), headers, written, sent, failures)
    figures[f"{backend}: schemathesis requests"] += sum(sent.values())
    figures[f"{backend}: schemathesis operations"] += len(sent)
    figures[f"{backend}: schemathesis failures (5xx / schema)"] += len(failures)
    assert not failures, "\n".join(dict.fromkeys(failures))
