"""Hostile bodies (issue 15 item 4): a huge JSON body, a chunked one without Content-Length, an anonymous
upload. Each request is driven through the whole ASGI app with a `receive()` that counts the bytes the
server actually takes in, so the assertions are about bytes read, not only the status code."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.main import create_app
from tests.http_api.live import free_port
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.identity.seed import DEMO_PASSWORD, seed_demo
from workflows.identity.service import password_hasher

MiB = 1024 * 1024
CHUNK = 64 * 1024
JSON_LIMIT = "Dữ liệu gửi lên vượt quá giới hạn cho phép (1 MB)."


@pytest.fixture
def client(settings: Settings, clock: ManualClock, db: Engine) -> Iterator[TestClient]:
    with Session(db) as session:
        seed_demo(session, now=clock.now(), hasher=password_hasher(settings.auth.argon2))
        session.commit()
    settings = settings.model_copy(update={
        "storage": settings.storage.model_copy(update={"max_upload_bytes": 2 * MiB})})
    with TestClient(create_app(settings, clock=clock, start_background=False)) as test_client:
        yield test_client


class Exchange:
    """One request through the ASGI app: the body is produced lazily, chunk by chunk, and counted."""

    def __init__(self, size: int, prefix: bytes = b"") -> None:
        self.size = size
        self.prefix = prefix
        self.consumed = 0
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.done = anyio.Event()

    async def receive(self) -> dict[str, Any]:
        if self.consumed >= self.size:
            await self.done.wait()
            return {"type": "http.disconnect"}
        chunk = b"x" * min(CHUNK, self.size - self.consumed)
        if self.consumed == 0 and self.prefix:
            chunk = self.prefix + chunk[len(self.prefix):]
        self.consumed += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.consumed < self.size}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                self.done.set()


def drive(client: TestClient, path: str, *, size: int, headers: dict[str, str], declare: bool = True) -> Exchange:
    multipart = headers.get("content-type", "").startswith("multipart/")
    exchange = Exchange(size, FILE_PART if multipart else b"")
    all_headers = {**headers, **({"content-length": str(size)} if declare else {"transfer-encoding": "chunked"})}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in all_headers.items()],
        "client": ("203.0.113.7", 50000), "server": ("testserver", 80),
    }
    app: FastAPI = client.app  # type: ignore[assignment]
    assert client.portal is not None
    client.portal.call(app, scope, exchange.receive, exchange.send)
    return exchange


def problem_of(exchange: Exchange, status: int, code: str) -> dict[str, Any]:
    import json

    assert exchange.status == status, exchange.body
    assert exchange.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = json.loads(exchange.body)
    assert body["code"] == code and body["status"] == status
    return body


def token_of(client: TestClient, username: str) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


JSON = {"content-type": "application/json"}
MULTIPART = {"content-type": "multipart/form-data; boundary=b0undary"}
FILE_PART = (b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\n'
             b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n")


class TestJsonBodies:
    def test_a_declared_16_mib_feedback_is_refused_before_a_byte_is_read(self, client: TestClient) -> None:
        exchange = drive(client, "/api/v1/public/feedback", size=16 * MiB, headers=JSON)
        assert problem_of(exchange, 413, "payload_too_large")["detail"] == JSON_LIMIT
        assert exchange.consumed == 0
        assert exchange.headers["connection"] == "close"

    def test_a_chunked_body_is_cut_at_the_limit(self, client: TestClient) -> None:
        exchange = drive(client, "/api/v1/public/feedback", size=16 * MiB, headers=JSON, declare=False)
        assert problem_of(exchange, 413, "payload_too_large")["detail"] == JSON_LIMIT
        assert MiB < exchange.consumed <= MiB + CHUNK
        assert exchange.headers["connection"] == "close"

    def test_a_chunked_body_to_an_official_route_is_cut_too(self, client: TestClient) -> None:
        headers = {**JSON, "authorization": f"Bearer {token_of(client, 'mot_cua')}"}
        exchange = drive(client, "/api/v1/dossiers", size=16 * MiB, headers=headers, declare=False)
        problem_of(exchange, 413, "payload_too_large")
        assert exchange.consumed <= MiB + CHUNK

    def test_a_body_under_the_limit_is_read_as_before(self, client: TestClient) -> None:
        response = client.post("/api/v1/public/feedback", json={"category": "khac", "content": "x" * 600_000})
        assert response.status_code == 422  # read and validated (content too long), not refused unread


class TestUploads:
    PATH = "/api/v1/dossiers/H60.22-261124-0001/documents"

    def test_an_anonymous_upload_is_refused_401_before_its_body_is_read(self, client: TestClient) -> None:
        exchange = drive(client, self.PATH, size=2 * MiB, headers=MULTIPART)
        body = problem_of(exchange, 401, "not_authenticated")
        assert body["detail"] == "Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn."
        assert exchange.headers["www-authenticate"] == "Bearer"
        assert exchange.consumed == 0
        assert exchange.headers["connection"] == "close"

    def test_a_forged_token_is_refused_before_the_body_too(self, client: TestClient) -> None:
        headers = {**MULTIPART, "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged"}
        exchange = drive(client, self.PATH, size=2 * MiB, headers=headers, declare=False)
        problem_of(exchange, 401, "invalid_token")
        assert exchange.consumed == 0

    def test_an_anonymous_bpmn_upload_is_refused_unread(self, client: TestClient) -> None:
        exchange = drive(client, "/api/v1/process-definitions", size=MiB, headers=MULTIPART)
        problem_of(exchange, 401, "not_authenticated")
        assert exchange.consumed == 0

    def test_an_official_s_upload_over_the_storage_limit_is_refused(self, client: TestClient) -> None:
        headers = {**MULTIPART, "authorization": f"Bearer {token_of(client, 'mot_cua')}"}
        declared = drive(client, self.PATH, size=16 * MiB, headers=headers)
        assert problem_of(declared, 413, "payload_too_large")["detail"] == (
            "Dữ liệu gửi lên vượt quá giới hạn cho phép (2,06 MB).")
        assert declared.consumed == 0
        chunked = drive(client, self.PATH, size=16 * MiB, headers=headers, declare=False)
        problem_of(chunked, 413, "payload_too_large")
        assert chunked.consumed <= 2 * MiB + 64 * 1024 + CHUNK


@pytest.fixture
def live(settings: Settings, clock: ManualClock, db: Engine) -> Iterator[int]:
    """uvicorn on a real port: does the server itself stop taking the body in?"""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, clock=clock, start_background=False),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=15)


class TestOverARealSocket:
    @pytest.mark.parametrize(("path", "content_type", "size", "status"), [
        ("/api/v1/dossiers/H60.22-261124-0001/documents", MULTIPART["content-type"], 16 * MiB, 401),
        ("/api/v1/dossiers/H60.22-261124-0001/documents", MULTIPART["content-type"], 512 * MiB, 413),
        ("/api/v1/public/feedback", "application/json", 300 * MiB, 413),
    ])
    def test_a_big_body_is_answered_at_once_and_the_connection_closed(
        self, live: int, path: str, content_type: str, size: int, status: int,
    ) -> None:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {size}\r\n\r\n").encode()
        answer = b""
        with socket.create_connection(("127.0.0.1", live), timeout=10) as sock:
            sock.sendall(head + FILE_PART)  # the first bytes only; the server must not wait for the rest
            while chunk := sock.recv(65536):  # a timeout here: the server waited for the body
                answer += chunk
        assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
        assert b"\r\nconnection: close\r\n" in answer.lower()
        assert b"application/problem+json" in answer
