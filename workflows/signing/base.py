"""The light part of digital signing: the errors, the signed result, the one signer interface and the
development CA's provisioning — importable without pyHanko (which `signers` and `pades` load), so that a
process pays for pyHanko only when it first signs or verifies."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workflows.core.config import Settings
from workflows.core.errors import MotcuaError
from workflows.signing import keys
from workflows.signing.appearance import SignatureBox
from workflows.signing.keys import OfficialIdentity


class SigningFailed(MotcuaError):
    status_code = 503
    code = "signing_failed"
    default_detail = "Không ký số được văn bản."


class SigningTimeout(SigningFailed):
    code = "signing_timeout"
    default_detail = "Hết thời gian chờ người ký xác nhận ký số."


@dataclass(frozen=True)
class SignedPdf:
    content: bytes
    method: str  # "local" | "remote"
    certificate_sha256: str
    certificate_serial: str
    signer_name: str  # as the certificate says (the official's full name)


class DocumentSigner(Protocol):
    method: str

    def sign(self, content: bytes, *, official: OfficialIdentity, box: SignatureBox, field_name: str,
             reason: str, location: str, now: datetime) -> SignedPdf:
        """`content` signed by `official` with a visible signature in `box`. Raises SigningFailed (and its
        SigningTimeout) with a Vietnamese reason."""
        ...


_PROVISION = threading.Lock()


def ensure_dev_ca(settings: Settings, *, now: datetime) -> None:
    paths = keys.KeyPaths(settings.signing.directory)
    if paths.ca_cert.is_file() and paths.tsa_key.is_file():
        return
    if not settings.signing_auto_provision:
        raise SigningFailed("Chưa có khóa của cơ quan cấp dấu thời gian cục bộ (MOTCUA_SIGNING__TSA_URL chưa đặt).",
                            code="signing_not_configured")
    with _PROVISION:
        keys.init_dev_ca(paths.directory, passphrase=settings.signing.passphrase.get_secret_value(), now=now)

