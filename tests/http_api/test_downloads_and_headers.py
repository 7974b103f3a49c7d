"""Issue 15 items 8 and 10 over HTTP: a file's name cannot inject `Content-Disposition` parameters and a
Vietnamese name downloads under itself; the stored type is the one read from the content; every response
says nosniff and no-referrer, the citizen page cannot be framed; Zalo delivery receipts keep no phone."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi.testclient import TestClient
from sqlalchemy import text

from connectors.zalo.webhook import sign
from workflows.core.migrate import MIGRATIONS_DIR

MIGRATIONS = MIGRATIONS_DIR / "versions"

Login = Callable[[str], dict[str, str]]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PHONE = "0912345678"
INJECTION = "x\"; filename*=UTF-8''evil.html; a=\".pdf"


def new_dossier(client: TestClient, login: Login) -> str:
    response = client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "accept": True,
        "applicant": {"full_name": "Trần Thị Bích Ngọc", "phone": PHONE}})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def saved_as(content_disposition: str) -> str:
    """The name a browser saves the file under (RFC 6266 §4.3: `filename*` wins over `filename`); exactly
    these two parameters must be there, nothing injected."""
    kind, _, rest = content_disposition.partition(";")
    params = re.findall(r'\s*([\w*-]+)=("(?:[^"\\]|\\.)*"|[^;]*);?', rest)
    assert kind == "attachment" and [name for name, _ in params] == ["filename", "filename*"], params
    charset, _, encoded = dict(params)["filename*"].split("'", 2)
    return unquote(encoded, encoding=charset, errors="strict")


def upload(client: TestClient, login: Login, code: str, name: str, content: bytes, declared: str) -> Any:
    """A multipart upload written by hand, the name quoted as RFC 7578 allows (`\\"` inside the quotes),
    as curl or a script sends it (httpx would percent-encode the quote)."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    body = (f'--B\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            f"Content-Type: {declared}\r\n\r\n").encode() + content + b"\r\n--B--\r\n"
    return client.post(f"/api/v1/dossiers/{code}/documents", content=body,
                       headers={**login("mot_cua"), "content-type": "multipart/form-data; boundary=B"})


class TestDownloads:
    def test_a_quote_in_the_name_injects_nothing(self, app_client: TestClient, login: Login) -> None:
        code = new_dossier(app_client, login)
        uploaded = upload(app_client, login, code, INJECTION, PDF, "application/pdf; x=\"<script>\"")
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["media_type"] == "application/pdf"  # read from the content, not the declaration
        back = app_client.get(f"/api/v1/dossiers/{code}/documents/{uploaded.json()['id']}",
                              headers=login("chuyen_vien"))
        assert back.status_code == 200 and back.content == PDF
        header = back.headers["content-disposition"]
        assert header == ("attachment; filename=\"x_filename_UTF-8_evil.html_a_.pdf\"; "
                          "filename*=UTF-8''x%22%3B%20filename%2A%3DUTF-8%27%27evil.html%3B%20a%3D%22.pdf")
        assert saved_as(header) == INJECTION  # one name, the one given, ending in .pdf
        assert back.headers["content-type"] == "application/pdf"
        assert back.headers["x-content-type-options"] == "nosniff"

    def test_a_vietnamese_name_downloads_under_itself(self, app_client: TestClient, login: Login) -> None:
        code = new_dossier(app_client, login)
        name = "Giấy chứng nhận đủ điều kiện PCCC – Đợt 2.pdf"
        uploaded = upload(app_client, login, code, name, PDF, "application/pdf")
        assert uploaded.status_code == 201, uploaded.text
        back = app_client.get(f"/api/v1/dossiers/{code}/documents/{uploaded.json()['id']}",
                              headers=login("mot_cua"))
        assert back.status_code == 200, back.text  # was 500 (UnicodeEncodeError in the header)
        header = back.headers["content-disposition"]
        assert header.startswith("attachment; filename=\"Giay_chung_nhan_du_dieu_kien_PCCC_Dot_2.pdf\"; ")
        assert saved_as(header) == name

    def test_the_type_is_read_from_the_content(self, app_client: TestClient, login: Login) -> None:
        code = new_dossier(app_client, login)
        unknown = upload(app_client, login, code, "anh-chup-mat-tien.png", PNG, "application/octet-stream")
        assert unknown.status_code == 201, unknown.text
        assert unknown.json()["media_type"] == "image/png"
        page = upload(app_client, login, code, "trang.html", b"<html><script>alert(1)</script></html>",
                      "application/octet-stream")
        assert page.status_code == 422 and page.headers["content-type"] == "application/problem+json"
        assert page.json()["detail"] == ("Không chấp nhận loại tệp “application/octet-stream”. Chỉ chấp nhận tệp "
                                         "PDF, ảnh JPEG/PNG hoặc văn bản DOCX.")
        assert page.json()["errors"][0]["field"] == "media_type"

    def test_the_citizen_download_names_the_receipt(self, app_client: TestClient, login: Login) -> None:
        code = new_dossier(app_client, login)
        factor = {"code": code, "verifier": PHONE[-4:]}
        [receipt] = app_client.post("/api/v1/public/documents", json=factor).json()["items"]
        back = app_client.post(f"/api/v1/public/documents/{receipt['id']}", json=factor)
        assert back.status_code == 200 and back.content.startswith(b"%PDF")
        expected = f"mau_01-{code}.pdf"
        assert back.headers["content-disposition"] == (
            f"attachment; filename=\"{expected}\"; filename*=UTF-8''{expected}")
        assert back.headers["x-content-type-options"] == "nosniff"


class TestHeaders:
    def test_every_response_says_nosniff_and_no_referrer(self, app_client: TestClient, login: Login) -> None:
        for response in (app_client.get("/tra-cuu"), app_client.get("/tra-cuu/static/tra-cuu.js"),
                         app_client.get("/api/v1/dossiers"),  # 401 problem+json
                         app_client.get("/api/v1/dossiers/KHONG-CO", headers=login("mot_cua")),  # 404
                         app_client.get("/healthz"), app_client.get("/api/v1/public/procedures")):
            assert response.headers.get("x-content-type-options") == "nosniff", response.request.url
            assert response.headers.get("referrer-policy") == "no-referrer", response.request.url

    def test_the_citizen_page_cannot_be_framed(self, app_client: TestClient) -> None:
        page = app_client.get("/tra-cuu")
        assert page.status_code == 200
        policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
        assert policy["frame-ancestors"] == "'none'"
        assert page.headers["x-frame-options"] == "DENY"


class TestZaloDeliveryEvents:
    def test_a_delivery_receipt_by_phone_stores_no_number(self, app_client: TestClient) -> None:
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        zalo = wiring.settings.zalo
        timestamp = str(int(wiring.clock.now().timestamp() * 1000))
        for recipient, msg_id in (("84912345678", "a1"), ("0912345678", "")):
            raw = json.dumps({  # ZALO_API.md §9.8: the receipt of a template sent by phone
                "event_name": "user_received_message", "app_id": zalo.app_id, "timestamp": timestamp,
                "sender": {"id": zalo.oa_id or "2893352839501541173"}, "recipient": {"id": recipient},
                "message": {"delivery_time": timestamp, "msg_id": msg_id, "tracking_id": "MC-1"}}).encode()
            mac = sign(app_id=zalo.app_id, raw_body=raw, timestamp=timestamp,
                       oa_secret_key=zalo.oa_secret_key.get_secret_value())
            response = app_client.post("/api/v1/zalo/webhook", content=raw, headers={
                "content-type": "application/json", "X-ZEvent-Signature": f"mac={mac}"})
            assert response.status_code == 200, response.text
        with wiring.db.connect() as connection:
            rows = connection.execute(text("SELECT event_key, user_id FROM zalo_event")).all()
        stored = " ".join(f"{key} {user}" for key, user in rows)
        assert len(rows) == 2 and "912345678" not in stored, stored
        keyed = wiring.cipher.lookup_hash("phone", PHONE)
        assert [user for _, user in rows] == [keyed, keyed]  # matched to a dossier's phone with the key only

    def test_numbers_already_stored_are_masked_by_the_migration(self, app_client: TestClient) -> None:
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        spec = importlib.util.spec_from_file_location("masking", MIGRATIONS / "0012_roles_zalo_event_phone.py")
        assert spec is not None and spec.loader is not None
        masking = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(masking)
        with wiring.db.begin() as connection:
            connection.execute(text(
                "INSERT INTO zalo_event (event_key, event_name, user_id, received_at) VALUES "
                "('user_received_message:84912345678:1764000000000', 'user_received_message', '84912345678', "
                ":at), ('msg:b2', 'user_send_text', '2893352839501541173', :at)"), {"at": wiring.clock.now()})
            with Operations.context(MigrationContext.configure(connection)):
                masking.upgrade()  # the data step alone, as `motcua db upgrade` runs it on a live database
        with wiring.db.connect() as connection:
            rows = connection.execute(text("SELECT event_key, user_id FROM zalo_event ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            ("user_received_message:8491****678:1764000000000", "8491****678"),
            ("msg:b2", "2893352839501541173"),  # a Zalo user id is left as it is
        ]
