"""Hostile input: generated requests against our OpenAPI (schemathesis), oversized and malformed uploads,
BPMN that tries to reach the OS or loop forever, huge and invalid bodies, SQL-looking filters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

# Backend-independent (the HTTP contract, no query of its own): on PostgreSQL, the production database, only.
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

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


@ON_POSTGRESQL
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


# --- targeted hostile input ------------------------------------------------------------------------------

APPLICANT = {"full_name": "Nguyễn Thị Hồng Nhung", "id_number": "008190012345", "phone": "0912345678"}


def new_dossier(client: TestClient, login: Login) -> str:
    response = client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "applicant": APPLICANT})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def table_count(client: TestClient, table: str) -> int:
    from sqlalchemy import text  # noqa: PLC0415

    with client.app.state.wiring.db.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def assert_problem(response: Any, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers


BAD_BPMN = {
    "import_os": "__import__('os').system('id')",
    "dunder_escape": "x = ().__class__.__bases__[0].__subclasses__()",
    "open_file": "x = open('/etc/passwd').read()",
}
LOOP_BPMN = "while True:\n    pass"


def bpmn(script: str, key: str) -> bytes:
    from xml.sax.saxutils import escape  # noqa: PLC0415

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
    <bpmn:scriptTask id="t1"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="e"/><bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


class TestHostileInput:
    def test_uploads_too_large_or_not_what_they_claim(self, app_client: TestClient, login: Login) -> None:
        code = new_dossier(app_client, login)
        before = table_count(app_client, "dossier_document")
        limit = app_client.app.state.wiring.settings.storage.max_upload_bytes  # type: ignore[attr-defined]
        big = b"%PDF-1.4\n" + b"0" * (limit + 1)
        assert_problem(app_client.post(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua"),
                                       files={"file": ("big.pdf", big, "application/pdf")}), 413)
        for name, content, kind in (("fake.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf"),
                                    ("fake.png", b"%PDF-1.4 pretending", "image/png"),
                                    ("empty.pdf", b"", "application/pdf")):
            assert_problem(app_client.post(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua"),
                                           files={"file": (name, content, kind)}), 400, 413, 415, 422)
        assert table_count(app_client, "dossier_document") == before

    def test_bpmn_reaching_for_the_os_is_refused(self, app_client: TestClient, login: Login) -> None:
        before = table_count(app_client, "process_definition")
        for key, script in BAD_BPMN.items():
            response = app_client.post("/api/v1/process-definitions", headers=login("quan_tri"),
                                       files={"file": (f"{key}.bpmn", bpmn(script, key), "application/xml")})
            assert_problem(response, 422)
        assert table_count(app_client, "process_definition") == before

    def test_bpmn_looping_forever_becomes_an_incident_not_a_hang(self, app_client: TestClient,
                                                                 login: Login) -> None:
        import time  # noqa: PLC0415

        from sqlmodel import Session  # noqa: PLC0415

        response = app_client.post("/api/v1/process-definitions", headers=login("quan_tri"),
                                   files={"file": ("loop.bpmn", bpmn(LOOP_BPMN, "vong_lap"), "application/xml")})
        if response.status_code == 422:
            return  # refused at deploy: as good as an incident
        assert response.status_code == 201, response.text
        engine = app_client.app.state.wiring.engine  # type: ignore[attr-defined]
        started = time.monotonic()
        with Session(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
            result = engine.start(session, process_key="vong_lap", business_key="loop-1", data={})
            session.commit()
        assert time.monotonic() - started < 15
        assert result.status == "incident", result

    def test_huge_and_invalid_bodies(self, app_client: TestClient, login: Login) -> None:
        before = table_count(app_client, "dossier")
        huge = b'{"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "form": {"x": "' + b"a" * (
            5 * 1024 * 1024) + b'"}, "applicant": {"full_name": "A"}}'
        headers = {**login("mot_cua"), "content-type": "application/json"}
        assert_problem(app_client.post("/api/v1/dossiers", content=huge, headers=headers), 413, 422)
        for body in (b'{"procedure_code": "\xff\xfe\xfd", "channel": "counter"}', b"\xc3\x28\xa0\xa1", b"{" * 5000):
            assert_problem(app_client.post("/api/v1/dossiers", content=body, headers=headers), 400, 422)
        bad_form = {"procedure_code": "VHTTDL-KARAOKE", "channel": "counter",
                    "applicant": {"full_name": "\udcff"}}
        response = app_client.post("/api/v1/dossiers", content=str(bad_form).encode("utf-8", "surrogatepass"),
                                   headers=headers)
        assert_problem(response, 400, 422)
        assert table_count(app_client, "dossier") == before

    def test_sql_looking_strings_in_every_filter(self, app_client: TestClient, login: Login) -> None:
        new_dossier(app_client, login)
        counts = {t: table_count(app_client, t) for t in ("dossier", "official", "audit_entry")}
        payloads = ["' OR '1'='1", "1; DROP TABLE dossier; --", "\" OR 1=1 --", "%' UNION SELECT * FROM official --",
                    "H60.22-%", "_%_", "\\x00", "${jndi:ldap://x}"]
        schema = app_client.get("/openapi.json").json()
        checked = 0
        for path, ops in schema["paths"].items():
            get = ops.get("get")
            if not get or "{" in path:
                continue
            names = [p["name"] for p in get.get("parameters", []) if p["in"] == "query"]
            for name in names:
                for value in payloads:
                    response = app_client.get(path, params={name: value}, headers=login("mot_cua"))
                    assert response.status_code < 500, (path, name, value, response.text[:200])
                    checked += 1
        for value in payloads:
            response = app_client.post("/api/v1/dossiers/search-by-id", json={"id_number": value},
                                       headers=login("mot_cua"))
            assert response.status_code < 500
            for path, body in (("/api/v1/public/lookup", {"code": value, "verifier": value}),
                               ("/api/v1/public/lookup/by-name", {"full_name": value})):
                assert app_client.post(path, json=body).status_code < 500
        counts.pop("audit_entry")  # searches are audited: that table may grow
        assert checked > 20
        assert {t: table_count(app_client, t) for t in counts} == counts
