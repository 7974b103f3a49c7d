"""A remote signing service stand-in speaking `connectors.signing.client`'s protocol over HTTP, with the
official's phone as test hooks (development and tests). State lives in memory (`app.state.signing_emulator`).

    GET  {prefix}/v1/credentials/{user_id}       the official's certificate and chain
    POST {prefix}/v1/signatures                  submit a hash → 202 {"transaction_id", "status": "PENDING"}
    GET  {prefix}/v1/signatures/{id}             its status, and the signature once confirmed
    POST {prefix}/users                          enrol an official {"user_id","full_name","title","organization",
                                                 "auto_confirm"}: the provider issues their certificate
    POST {prefix}/users/{user_id}/phone          {"auto_confirm": bool}: whether the phone approves at once
    GET  {prefix}/users/{user_id}/pending        the requests waiting on the phone
    POST {prefix}/signatures/{id}/confirm|reject the official answers on the phone

Certificates are issued by the CA given as a PKCS#12 (`ca_p12`, `passphrase`): in development the repo's
development CA, so that verification trusts them as it trusts the local signer's."""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

__all__ = ["create_signing_emulator_app"]

_HASHES = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


class UserIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    full_name: str = Field(min_length=1, max_length=64)
    title: str = Field("", max_length=64)
    organization: str = Field("", max_length=64)
    auto_confirm: bool = True


class PhoneIn(BaseModel):
    auto_confirm: bool


class SignIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    hash: str = Field(min_length=1, max_length=200)
    hash_algorithm: str = "SHA256"
    description: str = Field("", max_length=200)


@dataclass
class _User:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    auto_confirm: bool


@dataclass
class _Transaction:
    id: str
    user_id: str
    digest: bytes
    algorithm: str
    description: str
    status: str = "PENDING"
    signature: bytes | None = None


@dataclass
class EmulatorState:
    ca_key: Any
    ca_cert: x509.Certificate
    client_id: str
    client_secret: str
    users: dict[str, _User] = field(default_factory=dict)
    transactions: dict[str, _Transaction] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enrol(self, body: UserIn) -> _User:
        key = ec.generate_private_key(ec.SECP256R1())
        start = datetime.now(UTC) - timedelta(days=400)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, body.organization or "motcua"),
            x509.NameAttribute(NameOID.TITLE, body.title or "Cán bộ"),
            x509.NameAttribute(NameOID.COMMON_NAME, body.full_name),
            x509.NameAttribute(NameOID.USER_ID, body.user_id),
        ])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.ca_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + timedelta(days=365 * 3))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                               critical=False)
                .sign(self.ca_key, hashes.SHA256()))
        user = _User(key=key, cert=cert, auto_confirm=body.auto_confirm)
        with self.lock:
            self.users[body.user_id] = user
        return user

    def confirm(self, transaction: _Transaction) -> None:
        user = self.users[transaction.user_id]
        algorithm = _HASHES[transaction.algorithm]()
        transaction.signature = user.key.sign(transaction.digest, ec.ECDSA(utils.Prehashed(algorithm)))
        transaction.status = "CONFIRMED"


def create_signing_emulator_app(*, ca_p12: bytes, passphrase: str, client_id: str, client_secret: str) -> FastAPI:
    ca_key, ca_cert, _ = pkcs12.load_key_and_certificates(ca_p12, passphrase.encode())
    assert ca_key is not None and ca_cert is not None
    state = EmulatorState(ca_key=ca_key, ca_cert=ca_cert, client_id=client_id, client_secret=client_secret)
    app = FastAPI(title="Remote signing emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.signing_emulator = state

    def authenticate(request: Request) -> None:
        header = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
        if not secrets.compare_digest(header, f"Basic {expected}"):
            raise HTTPException(401, "unauthorised client")

    def pem(cert: x509.Certificate) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @app.get("/v1/credentials/{user_id}")
    def credential(user_id: str, request: Request) -> dict[str, Any]:
        authenticate(request)
        user = state.users.get(user_id)
        if user is None:
            raise HTTPException(404, "unknown user")
        return {"user_id": user_id, "certificate": pem(user.cert), "chain": [pem(state.ca_cert)]}

    @app.post("/v1/signatures", status_code=202)
    def submit(body: SignIn, request: Request) -> dict[str, Any]:
        authenticate(request)
        if body.user_id not in state.users:
            raise HTTPException(404, "unknown user")
        algorithm = body.hash_algorithm.upper()
        if algorithm not in _HASHES:
            raise HTTPException(400, "unsupported hash algorithm")
        digest = base64.b64decode(body.hash)
        if len(digest) != _HASHES[algorithm]().digest_size:
            raise HTTPException(400, "hash of the wrong length")
        transaction = _Transaction(id=secrets.token_hex(12), user_id=body.user_id, digest=digest,
                                   algorithm=algorithm, description=body.description)
        with state.lock:
            state.transactions[transaction.id] = transaction
            if state.users[body.user_id].auto_confirm:
                state.confirm(transaction)
        return {"transaction_id": transaction.id, "status": "PENDING"}

    @app.get("/v1/signatures/{transaction_id}")
    def status(transaction_id: str, request: Request) -> dict[str, Any]:
        authenticate(request)
        transaction = state.transactions.get(transaction_id)
        if transaction is None:
            raise HTTPException(404, "unknown transaction")
        reply: dict[str, Any] = {"transaction_id": transaction.id, "status": transaction.status}
        if transaction.signature is not None:
            reply["signature"] = base64.b64encode(transaction.signature).decode("ascii")
        return reply

    @app.post("/users", status_code=201)
    def enrol(body: UserIn) -> dict[str, Any]:
        user = state.enrol(body)
        return {"user_id": body.user_id, "certificate": pem(user.cert)}

    @app.post("/users/{user_id}/phone")
    def phone(user_id: str, body: PhoneIn) -> dict[str, Any]:
        user = state.users.get(user_id)
        if user is None:
            raise HTTPException(404, "unknown user")
        user.auto_confirm = body.auto_confirm
        return {"user_id": user_id, "auto_confirm": user.auto_confirm}

    @app.get("/users/{user_id}/pending")
    def pending(user_id: str) -> dict[str, Any]:
        return {"items": [{"transaction_id": t.id, "description": t.description}
                          for t in state.transactions.values() if t.user_id == user_id and t.status == "PENDING"]}

    @app.post("/signatures/{transaction_id}/{answer}")
    def answer(transaction_id: str, answer: str) -> JSONResponse:
        transaction = state.transactions.get(transaction_id)
        if transaction is None or answer not in ("confirm", "reject"):
            raise HTTPException(404, "unknown transaction")
        with state.lock:
            if transaction.status == "PENDING":
                if answer == "confirm":
                    state.confirm(transaction)
                else:
                    transaction.status = "REJECTED"
        return JSONResponse({"transaction_id": transaction.id, "status": transaction.status})

    return app
