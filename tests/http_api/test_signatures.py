"""Issue 24 over HTTP: the leader's "Ký duyệt" signs the karaoke licence (PAdES, visible, timestamped, the
leader's certificate); pyHanko's validator and poppler's `pdfsig` accept it; `POST /api/v1/public/verify`
says it is ours, unchanged, and who signed it, and one changed byte makes it fail; a remote signing the
official does not confirm in time becomes an incident naming the step, and a retry after they confirm
signs."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdf
import pytest
import requests
from fastapi.testclient import TestClient
from flows import ACCEPT, APPRAISE_OK, ASSIGN, INSPECT, ISSUE, REVIEW_OK, SIGN, Login, do, dossier, intake
from live import live_server
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlmodel import select

from connectors.outbox import OutboxMessage
from workflows.core.clock import ManualClock, to_local
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.dossiers import national_sync
from workflows.signing import keys, signers

LEADER = "Phạm Quốc Hùng"
CLERK = "Nguyễn Thị Thu Hà"
LEADER_TITLE = "Phó Giám đốc"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with the forms signed as they are issued (production's default)."""
    return settings.model_copy(update={"signing": settings.signing.model_copy(update={"forms": True})})


def walk_to_signature(client: TestClient, login: Login) -> str:
    code = intake(client, login)["code"]
    for step, data in (("tiep_nhan", ACCEPT), ("phan_cong", ASSIGN), ("kiem_tra_thuc_te", INSPECT),
                       ("tham_dinh", APPRAISE_OK), ("xem_xet", REVIEW_OK)):
        do(client, login, code, step, data)
    return code


def result_of(client: TestClient, login: Login, code: str) -> tuple[dict[str, Any], bytes]:
    items = client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
    results = [d for d in items if d["kind"] == "result"]
    assert len(results) == 1, items
    response = client.get(f"/api/v1/dossiers/{code}/documents/{results[0]['id']}", headers=login("mot_cua"))
    assert response.status_code == 200, response.text
    return results[0], response.content


def pyhanko_validate(content: bytes, settings: Settings) -> Any:
    root = signers.trust_roots(settings)
    signatures = PdfFileReader(io.BytesIO(content)).embedded_signatures
    assert len(signatures) == 1
    return validate_pdf_signature(signatures[0], signer_validation_context=ValidationContext(
        trust_roots=root, allow_fetching=False))


class TestTheSignedResult:
    def test_the_leaders_signature_validates_and_one_changed_byte_fails(
        self, app_client: TestClient, login: Login, settings: Settings, tmp_path: Path,
    ) -> None:
        code = walk_to_signature(app_client, login)
        do(app_client, login, code, "ky_duyet", SIGN)
        assert dossier(app_client, login, code)["status"] == "CHO_PHAT_HANH"
        document, content = result_of(app_client, login, code)
        assert document["filename"] == f"ket-qua-{code}.pdf"

        status = pyhanko_validate(content, settings)
        assert status.intact and status.valid and status.trusted
        assert status.coverage.name == "ENTIRE_FILE"
        assert status.signing_cert.subject.native["common_name"] == LEADER
        assert status.signing_cert.subject.native["title"] == LEADER_TITLE
        stamp = status.timestamp_validity
        assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted

        if shutil.which("pdfsig") is None:
            pytest.fail("pdfsig (poppler-utils) is missing: make test installs it")
        signed = tmp_path / "ket-qua.pdf"
        signed.write_bytes(content)
        listing = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True, check=True).stdout
        assert f"Signer Certificate Common Name: {LEADER}" in listing
        assert "Signature is Valid." in listing
        assert "Total document signed" in listing

        answer = app_client.post("/api/v1/public/verify", files={"file": ("ket-qua.pdf", content, "application/pdf")})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["issued"], body["unchanged"], body["signed"]) == (True, True, True)
        assert (body["signer_name"], body["signer_title"], body["dossier_code"]) == (LEADER, LEADER_TITLE, code)
        assert body["kind"] == "Kết quả giải quyết thủ tục hành chính"
        assert body["message"] == "Văn bản do cơ quan ban hành, chữ ký số hợp lệ và văn bản chưa bị thay đổi."
        assert "applicant" not in answer.text and "Nguyễn Thị Hồng Nhung" not in answer.text

        # The citizen downloads it from the lookup page behind the second factor, byte for byte.
        listed = app_client.post("/api/v1/public/documents", json={"code": code, "verifier": "5678"}).json()["items"]
        result = [d for d in listed if d["id"] == document["id"]]
        assert result and result[0]["title"] == "Kết quả giải quyết", listed
        downloaded = app_client.post(f"/api/v1/public/documents/{document['id']}",
                                     json={"code": code, "verifier": "5678"})
        assert downloaded.status_code == 200 and downloaded.content == content
        assert app_client.post(f"/api/v1/public/documents/{document['id']}",
                               json={"code": code, "verifier": "0000"}).status_code == 404

        # Issued: the citizen's "đã có kết quả" message carries it, the national record lists it as the e-result.
        do(app_client, login, code, "phat_hanh", ISSUE)
        with session_scope(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref.contains(code))  # type: ignore[attr-defined]
                                .order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
            zalo = [r for r in rows if r.channel != national_sync.CHANNEL and
                    ":DA_CO_KET_QUA:" in r.idempotency_key]
            records = [r.payload["record"] for r in rows if r.channel == national_sync.CHANNEL and
                       "record" in (r.payload or {})]
        assert zalo, [r.idempotency_key for r in rows]
        assert zalo[-1].payload["attachment"]["document_id"] == str(document["id"])
        # (the link to the file is signed when the record is sent: DuongDanTepTinKetQua, NATIONAL_PORTAL.md)
        assert [(r["file_id"], r["name"]) for r in records[-1]["results"]] == [
            (document["id"], "Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke")]

        tampered = bytearray(content)
        at = tampered.index(b"/Title")  # inside the signed range (the document information), one byte
        tampered[at + 2] ^= 0x01
        assert not pyhanko_validate(bytes(tampered), settings).intact
        body = app_client.post("/api/v1/public/verify", files={
            "file": ("ket-qua.pdf", bytes(tampered), "application/pdf")}).json()
        assert (body["issued"], body["unchanged"]) == (False, False)
        assert body["message"].startswith("Văn bản đã bị thay đổi sau khi ký")

    def test_the_receipt_is_signed_by_the_clerk_who_received_it_at_the_services_time(
        self, app_client: TestClient, login: Login, settings: Settings, clock: ManualClock,
    ) -> None:
        at = clock.now()
        code = intake(app_client, login, accept=True)["code"]
        items = app_client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
        [receipt] = [d for d in items if d["form_code"] == "MAU_01"]
        content = app_client.get(f"/api/v1/dossiers/{code}/documents/{receipt['id']}",
                                 headers=login("mot_cua")).content
        status = pyhanko_validate(content, settings)
        assert status.intact and status.valid and status.trusted and status.coverage.name == "ENTIRE_FILE"
        assert status.signing_cert.subject.native["common_name"] == CLERK
        assert status.signer_reported_dt == at  # the service's clock, not the machine's
        text = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages).split())
        assert (f"NGƯỜI TIẾP NHẬN HỒ SƠ (Ký và ghi rõ họ tên) Ký bởi: {CLERK} Chức vụ: Chuyên viên Cơ quan: "
                f"Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang Thời gian ký: {to_local(at):%H:%M:%S} ngày "
                f"{to_local(at):%d/%m/%Y} {CLERK}") in text

        body = app_client.post("/api/v1/public/verify", files={"file": ("mau.pdf", content, "application/pdf")}).json()
        assert (body["issued"], body["unchanged"], body["signer_name"], body["dossier_code"]) == (True, True, CLERK,
                                                                                                   code)
        assert body["kind"] == "Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
        assert body["signed_at"].endswith("+07:00")

    def test_verify_refuses_an_empty_file_naming_the_field(self, app_client: TestClient) -> None:
        answer = app_client.post("/api/v1/public/verify", files={"file": ("x.pdf", b"", "application/pdf")})
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "file"

    def test_key_files_are_encrypted(self, app_client: TestClient, login: Login, settings: Settings) -> None:
        code = walk_to_signature(app_client, login)
        do(app_client, login, code, "ky_duyet", SIGN)
        key_file = keys.KeyPaths(settings.signing.directory).official("lanh_dao_so").read_bytes()
        assert b"PRIVATE KEY" not in key_file
        from cryptography.hazmat.primitives.serialization import pkcs12
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(key_file, b"wrong passphrase")


class TestRemoteSigning:
    def test_a_timeout_is_an_incident_naming_the_step_and_a_retry_signs(
        self, settings: Settings, clock: ManualClock, db: Any,
    ) -> None:
        settings = settings.model_copy(update={"signing": settings.signing.model_copy(update={
            "backend": "remote", "remote": settings.signing.remote.model_copy(update={
                "timeout_seconds": 1.0, "poll_interval_seconds": 0.1})})})
        with live_server(settings, clock) as (base, _wiring):
            phone = f"{base}/ky-so-emulator"
            enrolled = requests.post(f"{phone}/users", timeout=10, json={
                "user_id": "lanh_dao_so", "full_name": LEADER, "title": LEADER_TITLE,
                "organization": "Sở Văn hóa, Thể thao và Du lịch", "auto_confirm": False})
            assert enrolled.status_code == 201, enrolled.text
            # The clerk signs the receipt as it is issued and confirms at once on their phone.
            clerk = requests.post(f"{phone}/users", timeout=10, json={
                "user_id": "mot_cua", "full_name": CLERK, "title": "Chuyên viên",
                "organization": "Sở Văn hóa, Thể thao và Du lịch", "auto_confirm": True})
            assert clerk.status_code == 201, clerk.text
            client = LiveClient(base)
            tokens: dict[str, dict[str, str]] = {}

            def login(username: str) -> dict[str, str]:
                if username not in tokens:
                    reply = requests.post(f"{base}/api/v1/auth/token", timeout=10,
                                          data={"username": username, "password": "motcua-demo"})
                    tokens[username] = {"Authorization": f"Bearer {reply.json()['access_token']}"}
                return tokens[username]

            code = walk_to_signature(client, login)  # type: ignore[arg-type]
            do(client, login, code, "ky_duyet", SIGN)  # type: ignore[arg-type]
            detail = dossier(client, login, code)  # type: ignore[arg-type]
            incident = detail["incident"]
            assert incident is not None and incident["element_id"] == "ky_so", detail
            assert "Bước “Ký số kết quả”" in incident["reason"]
            assert "Hết thời gian chờ người ký xác nhận ký số trên điện thoại" in incident["reason"]
            assert detail["status"] == "CHO_KY_DUYET"
            listed = requests.get(f"{base}/api/v1/incidents", headers=login("quan_tri"), timeout=10).json()
            assert [i["element_id"] for i in listed["items"] if i["dossier_code"] == code] == ["ky_so"]

            # The official opens the app on the phone: from now on it confirms; the administrator retries.
            requests.post(f"{phone}/users/lanh_dao_so/phone", json={"auto_confirm": True}, timeout=10)
            retried = requests.post(f"{base}/api/v1/incidents/{incident['id']}/retry", headers=login("quan_tri"),
                                    timeout=30)
            assert retried.status_code == 200, retried.text
            detail = dossier(client, login, code)  # type: ignore[arg-type]
            assert detail["incident"] is None and detail["status"] == "CHO_PHAT_HANH"
            _, content = result_of(client, login, code)  # type: ignore[arg-type]
            status = pyhanko_validate(content, settings)
            assert status.intact and status.valid and status.trusted
            assert status.signing_cert.subject.native["common_name"] == LEADER
            verified = requests.post(f"{base}/api/v1/public/verify", timeout=30,
                                     files={"file": ("kq.pdf", content, "application/pdf")}).json()
            assert (verified["issued"], verified["unchanged"], verified["signer_name"]) == (True, True, LEADER)


class LiveClient:
    """The few TestClient calls the flow helpers make, against a live server."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.base + path, timeout=30, **kwargs)


def test_the_verify_page_is_served(app_client: TestClient) -> None:
    page = app_client.get("/xac-minh?ma=H60.22-261124-0001")
    assert page.status_code == 200 and "Xác minh văn bản ký số" in page.text
    assert "H60.22-261124-0001" in page.text and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert app_client.get("/tra-cuu/static/xac-minh.js").status_code == 200
    # The QR code on every form opens the lookup page, which leads on to the verification of the same dossier.
    lookup = app_client.get("/tra-cuu?ma=H60.22-261124-0001").text
    assert '<a id="verify-link" href="/xac-minh?ma=H60.22-261124-0001">Xác minh văn bản ký số</a>' in lookup
