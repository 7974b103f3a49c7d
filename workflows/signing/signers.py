"""The one signing interface, `DocumentSigner.sign(...)`, and its two implementations:

- `LocalSigner`: the official's PKCS#12 key file under `signing.directory`, encrypted with the signing
  passphrase (development, tests, or an agency that holds its officials' keys). Outside production a missing
  development CA or official's certificate is created on first use (`motcua signing init-dev-ca` does it
  ahead).
- `RemoteSigner`: the CA provider's remote signing service: the hash of what is signed goes to the provider,
  the official confirms on their phone, the step polls for the signature until the timeout
  (`SigningTimeout`, which the engine turns into an incident naming the step).

Both give pyHanko a `Signer` and sign with `pades.sign_pdf`; the timestamp comes from the RFC 3161 authority
of `signing.tsa_url`, else the development one under `signing.directory`."""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign import signers as hanko_signers
from pyhanko.sign.general import as_signing_certificate, get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from connectors.signing.client import RemoteSigningClient, RemoteSigningError, RemoteSigningTimeout
from workflows.core.config import Settings
from workflows.core.signing_config import DEV_SIGNING_PASSPHRASE
from workflows.signing import keys, pades
from workflows.signing.appearance import SignatureBox
from workflows.signing.base import (  # noqa: F401 - the errors and types are part of this module's API
    _PROVISION,
    DocumentSigner,
    SignedPdf,
    SigningFailed,
    SigningTimeout,
    ensure_dev_ca,
)
from workflows.signing.keys import OfficialIdentity


def timestamper(settings: Settings, *, now: datetime) -> TimeStamper:
    """The RFC 3161 timestamp authority of `signing.tsa_url`, else the development one."""
    signing = settings.signing
    if signing.tsa_url:
        return HTTPTimeStamper(signing.tsa_url, timeout=10)
    paths = keys.KeyPaths(signing.directory)
    ensure_dev_ca(settings, now=now)
    # Opening the key file (PBKDF2) costs about 50 ms, a third of a signature: kept while the file is the same.
    cache_key = (_file_identity(paths.tsa_key), signing.passphrase.get_secret_value())
    with _TIMESTAMPERS_LOCK:
        cached = _TIMESTAMPERS.get(cache_key)
    if cached is not None:
        return cached
    key, cert, _ = pkcs12.load_key_and_certificates(paths.tsa_key.read_bytes(),
                                                    signing.passphrase.get_secret_value().encode())
    assert key is not None and cert is not None
    assert isinstance(key, rsa.RSAPrivateKey)  # keys.issue_dev_ca makes it so: pyHanko's local TSA signs RSA
    stamper = _DevTimeStamper(
        key=key,
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        certs_to_embed=SimpleCertificateStore.from_certs([_load_pem(paths.ca_cert.read_bytes())]))
    with _TIMESTAMPERS_LOCK:
        _TIMESTAMPERS.clear()  # one key file in use at a time: a replaced one is not kept
        _TIMESTAMPERS[cache_key] = stamper
    return stamper


_TIMESTAMPERS: dict[tuple[object, ...], TimeStamper] = {}
_TIMESTAMPERS_LOCK = threading.Lock()


class _DevTimeStamper(DummyTimeStamper):
    """pyHanko's local timestamp authority, signing with a key opened once. pyHanko's own opens the key from
    its DER form for every timestamp, and `cryptography` checks an RSA key as it opens it: 30 ms of CPU a
    timestamp, a tenth of the server's CPU while officials completed steps (docs/PERFORMANCE.md). The
    timestamp is the same: `_sign_tst_info` is pyHanko's (0.38), but for where the key comes from."""

    def __init__(self, *, key: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = key

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str,
                       dt: datetime) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": asn1_core.UTCTime(dt)})),
            simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._key.sign(signed_attrs.dump(), PKCS1v15(),
                                   get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, signed_attrs


def trust_roots(settings: Settings) -> list[asn1_x509.Certificate]:
    """The roots a signature must chain to: `signing.trust_roots`, and the development CA outside
    production."""
    roots = []
    for path in settings.signing.trust_roots:
        roots.extend(_load_pems(Path(path).read_bytes()))
    dev_ca = keys.KeyPaths(settings.signing.directory).ca_cert
    if settings.signing_trusts_dev_ca and dev_ca.is_file():
        roots.append(_load_pem(dev_ca.read_bytes()))
    return roots


class LocalSigner:
    method = "local"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def sign(self, content: bytes, *, official: OfficialIdentity, box: SignatureBox, field_name: str,
             reason: str, location: str, now: datetime) -> SignedPdf:
        signing = self._settings.signing
        paths = keys.KeyPaths(signing.directory)
        passphrase = signing.passphrase.get_secret_value()
        if self._settings.env == "production" and passphrase == DEV_SIGNING_PASSPHRASE:
            # Refused here rather than at start-up: a centre signing remotely never sets a passphrase.
            raise SigningFailed("Máy chủ ký số chưa được cấu hình: MOTCUA_SIGNING__PASSPHRASE còn là giá trị mặc "
                                "định dùng cho phát triển.", code="signing_not_configured")
        if not paths.official(official.username).is_file():
            if not self._settings.signing_auto_provision:
                raise SigningFailed(f"Chưa có chứng thư số của {official.full_name} ({official.title}) trên máy "
                                    "chủ ký số.", code="signing_no_certificate")
            ensure_dev_ca(self._settings, now=now)
            with _PROVISION:
                if not paths.official(official.username).is_file():
                    keys.issue_official(paths.directory, passphrase=passphrase, official=official, now=now)
        try:
            signer = _official_signer(paths.official(official.username), paths.ca_cert, passphrase)
        except Exception as exc:  # noqa: BLE001 - a wrong passphrase or a damaged file: the step fails
            raise SigningFailed(f"Không mở được tệp khóa ký số của {official.full_name} ({type(exc).__name__}).",
                                code="signing_key_unreadable") from exc
        if signer is None:
            raise SigningFailed(f"Không mở được tệp khóa ký số của {official.full_name} (sai mật khẩu?).",
                                code="signing_key_unreadable")
        return _sign(content, signer=signer, settings=self._settings, official=official, box=box,
                     field_name=field_name, reason=reason, location=location, now=now, method=self.method)


def _official_signer(key_file: Path, ca_cert: Path, passphrase: str) -> hanko_signers.SimpleSigner | None:
    """pyHanko's signer from an official's PKCS#12 file, kept while the file, the CA's certificate and the
    passphrase are the same: opening the file (PBKDF2) cost 7 ms of a signature's ~45. The passphrase that
    opens the files is in this process's settings anyway, so keeping the opened key adds nothing an intruder
    in the process would not have. None when pyHanko cannot open it (not kept)."""
    has_ca = ca_cert.is_file()
    cache_key = (_file_identity(key_file), _file_identity(ca_cert) if has_ca else None, passphrase)
    with _SIGNERS_LOCK:
        cached = _SIGNERS.get(cache_key)
    if cached is not None:
        return cached
    signer = hanko_signers.SimpleSigner.load_pkcs12(
        str(key_file), ca_chain_files=[str(ca_cert)] if has_ca else None, passphrase=passphrase.encode())
    if signer is not None:
        with _SIGNERS_LOCK:
            if len(_SIGNERS) >= _SIGNERS_LIMIT:
                _SIGNERS.clear()
            _SIGNERS[cache_key] = signer
    return signer


def _file_identity(path: Path) -> tuple[str, int, int, int]:
    """What tells one version of a key file from another: a rotation writes a new file (atomically: a new
    inode), so a kept key is opened again at the next signature, without a restart."""
    stat = path.stat()
    return str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size


_SIGNERS: dict[tuple[object, ...], hanko_signers.SimpleSigner] = {}
_SIGNERS_LOCK = threading.Lock()
_SIGNERS_LIMIT = 1024  # officials whose keys this server holds; more only means opening some again


class _RemoteCmsSigner(hanko_signers.Signer):
    """pyHanko's signer whose raw signature comes from the remote service (the official's phone)."""

    def __init__(self, *, client: RemoteSigningClient, user_id: str, certificate: asn1_x509.Certificate,
                 chain: list[asn1_x509.Certificate], timeout: float, poll_interval: float, description: str) -> None:
        super().__init__(signing_cert=certificate, cert_registry=SimpleCertificateStore.from_certs(chain))
        self._client = client
        self._user_id = user_id
        self._timeout = timeout
        self._poll = poll_interval
        self._description = description

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:  # pyHanko sizes the signature container: the longest DER ECDSA P-256 value
            return bytes(72)
        digest = hashlib.new(digest_algorithm, data).digest()
        return self._client.sign_hash(user_id=self._user_id, digest=digest, hash_algorithm=digest_algorithm,
                                      description=self._description, timeout=self._timeout,
                                      poll_interval=self._poll)


class RemoteSigner:
    method = "remote"

    def __init__(self, settings: Settings, client: RemoteSigningClient) -> None:
        self._settings = settings
        self._client = client

    def sign(self, content: bytes, *, official: OfficialIdentity, box: SignatureBox, field_name: str,
             reason: str, location: str, now: datetime) -> SignedPdf:
        remote = self._settings.signing.remote
        try:
            credential = self._client.credential(official.username)
            certificate = _load_pem(credential.certificate_pem.encode())
            chain = [_load_pem(c.encode()) for c in credential.chain_pem]
            signer = _RemoteCmsSigner(client=self._client, user_id=official.username, certificate=certificate,
                                      chain=chain, timeout=remote.timeout_seconds,
                                      poll_interval=remote.poll_interval_seconds, description=reason)
            return _sign(content, signer=signer, settings=self._settings, official=official, box=box,
                         field_name=field_name, reason=reason, location=location, now=now, method=self.method)
        except RemoteSigningTimeout as exc:
            raise SigningTimeout(f"Ký số từ xa của {official.full_name}: {exc}") from exc
        except RemoteSigningError as exc:
            raise SigningFailed(f"Ký số từ xa của {official.full_name}: {exc}", code=exc.code) from exc


def build_signer(settings: Settings) -> DocumentSigner:
    """The signer the settings choose (built once by the wiring)."""
    if settings.signing.backend == "remote":
        remote = settings.signing.remote
        client = RemoteSigningClient(base_url=settings.remote_signing_base_url, client_id=remote.client_id,
                                     client_secret=remote.client_secret.get_secret_value(),
                                     request_timeout=remote.request_timeout_seconds)
        return RemoteSigner(settings, client)
    return LocalSigner(settings)


def _sign(content: bytes, *, signer: hanko_signers.Signer, settings: Settings, official: OfficialIdentity,
          box: SignatureBox, field_name: str, reason: str, location: str, now: datetime,
          method: str) -> SignedPdf:
    cert = signer.signing_cert
    assert cert is not None
    subject = cert.subject.native
    holder = str(subject.get("common_name", ""))
    # The renderer printed the official's name in the signing box; a certificate of someone else would make
    # that stamp a lie, so the signing stops here.
    if _same_name(holder) != _same_name(official.full_name):
        raise SigningFailed(f"Chứng thư số dùng để ký mang tên “{holder}”, không phải {official.full_name} "
                            f"({official.title}).", code="signing_wrong_certificate")
    signed = pades.sign_pdf(
        content, signer=signer, timestamper=timestamper(settings, now=now), box=box, field_name=field_name,
        reason=reason, location=location, signing_time=now)
    return SignedPdf(content=signed, method=method, certificate_sha256=cert.sha256.hex(),
                     certificate_serial=format(cert.serial_number, "x"), signer_name=holder)


def _same_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _load_pem(data: bytes) -> asn1_x509.Certificate:
    if asn1_pem.detect(data):
        _, _, data = asn1_pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def _load_pems(data: bytes) -> list[asn1_x509.Certificate]:
    if not asn1_pem.detect(data):
        return [asn1_x509.Certificate.load(data)]
    return [asn1_x509.Certificate.load(der) for _, _, der in asn1_pem.unarmor(data, multiple=True)]
