"""The development CA (`motcua signing init-dev-ca`): a root, a timestamp authority and one certificate per
official, each key in a PKCS#12 file encrypted with the signing passphrase. Nothing here is written in clear
but the certificates (`ca.pem`, `tsa.pem`), which are public.

Layout under `directory`: `ca.pem`, `ca.p12`, `tsa.pem`, `tsa.p12`, `officials/<login>.p12`. Officials' keys
are EC P-256 (fast to make, small signatures), the timestamp authority's RSA (pyHanko's local TSA signs only
RSA); in production the CA provider issues the officials' certificates (docs/SIGNATURES.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from workflows.core.clock import ensure_utc
from workflows.core.files import write_atomically

CA_NAME = "motcua Development CA"
TSA_NAME = "motcua Development Timestamp Authority"
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_LOGIN = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class OfficialIdentity:
    """What an official's certificate says: their login (the file name), full name, title and agency."""

    username: str
    full_name: str
    title: str
    organization: str


@dataclass(frozen=True)
class KeyPaths:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.p12"

    @property
    def tsa_cert(self) -> Path:
        return self.directory / "tsa.pem"

    @property
    def tsa_key(self) -> Path:
        return self.directory / "tsa.p12"

    def official(self, username: str) -> Path:
        if not _LOGIN.fullmatch(username):
            raise ValueError(f"invalid login for a key file: {username!r}")
        return self.directory / "officials" / f"{username}.p12"


def init_dev_ca(directory: Path, *, passphrase: str, now: datetime, years: int = 10) -> bool:
    """Create the development CA and timestamp authority under `directory` unless they are there; True when
    created. The CA's key is kept (encrypted) so that officials' certificates can be issued later."""
    paths = KeyPaths(Path(directory))
    if paths.ca_cert.is_file() and paths.ca_key.is_file() and paths.tsa_key.is_file():
        return False
    start = ensure_utc(now) - timedelta(days=400)  # test clocks may run behind the wall clock
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "motcua"),
                         x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=365 * years))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's local TSA signs RSA
    tsa_cert = _leaf(ca_cert, ca_key, tsa_key, x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "motcua"),
        x509.NameAttribute(NameOID.COMMON_NAME, TSA_NAME)]), start=start, years=years, timestamping=True)
    _write(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths.tsa_cert, tsa_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths.ca_key, _p12("ca", ca_key, ca_cert, [], passphrase))
    _write(paths.tsa_key, _p12("tsa", tsa_key, tsa_cert, [ca_cert], passphrase))
    return True


def issue_official(directory: Path, *, passphrase: str, official: OfficialIdentity, now: datetime,
                   years: int = 3) -> Path:
    """Issue `official` a signing certificate from the development CA (replacing an older one: a rotation)
    and write their key file; the path of the file."""
    paths = KeyPaths(Path(directory))
    ca_key, ca_cert, _ = pkcs12.load_key_and_certificates(paths.ca_key.read_bytes(), passphrase.encode())
    assert ca_key is not None and ca_cert is not None
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, official.organization[:64] or "motcua"),
        x509.NameAttribute(NameOID.TITLE, official.title[:64] or "Cán bộ"),
        x509.NameAttribute(NameOID.COMMON_NAME, official.full_name[:64]),
        x509.NameAttribute(NameOID.USER_ID, official.username),
    ])
    cert = _leaf(ca_cert, ca_key, key, subject, start=ensure_utc(now) - timedelta(days=400), years=years)
    path = paths.official(official.username)
    _write(path, _p12(official.username, key, cert, [ca_cert], passphrase))
    return path


def has_official(directory: Path, username: str) -> bool:
    return KeyPaths(Path(directory)).official(username).is_file()


def _leaf(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, key: PrivateKey,
          subject: x509.Name, *, start: datetime, years: int, timestamping: bool = False) -> x509.Certificate:
    usage = x509.KeyUsage(digital_signature=True, content_commitment=not timestamping, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=365 * years))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if timestamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(ca_key, hashes.SHA256())


def _p12(name: str, key: PrivateKey, cert: x509.Certificate, chain: list[x509.Certificate],
         passphrase: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, chain or None,
        serialization.BestAvailableEncryption(passphrase.encode()))


def _write(path: Path, content: bytes) -> None:
    """Atomically, readable by the owner only (the key files are encrypted, but need not be shared)."""
    write_atomically(path, content, mode=0o600)
