"""Settings of digital signatures (ký số, docs/SIGNATURES.md): which signer signs the results, where the local
signer's encrypted key files live and the passphrase that opens them, the remote signing service of the CA
provider, the timestamp authority, and the roots a document's signature must chain to. Read as
`MOTCUA_SIGNING__*`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

SIGNING_EMULATOR_PREFIX = "/ky-so-emulator"  # where the in-process remote signing emulator is mounted
DEV_SIGNING_PASSPHRASE = "motcua-dev-signing-passphrase"
DEV_REMOTE_SIGNING_SECRET = "motcua-dev-remote-signing-secret"


class RemoteSigningSettings(BaseModel):
    """The CA provider's remote signing service (the official confirms each signature on their phone)."""

    emulator: bool = Field(True, description="Serve the remote signing emulator under /ky-so-emulator and point "
                                             "the client at it (development)")
    emulator_url: str | None = Field(None, description="An emulator running as its own server")
    url: str = Field("https://remote-signing.invalid", description="Base URL of the provider's service")
    client_id: str = Field("motcua", description="Our client id at the provider")
    client_secret: SecretStr = SecretStr(DEV_REMOTE_SIGNING_SECRET)
    timeout_seconds: float = Field(120.0, gt=0, le=900, description="How long a signing step waits for the "
                                                                    "official's confirmation")
    poll_interval_seconds: float = Field(2.0, gt=0, le=60)
    request_timeout_seconds: float = Field(10.0, gt=0, le=60, description="One HTTP call to the provider")


class SigningSettings(BaseModel):
    backend: Literal["local", "remote"] = Field(
        "local", description="local: PKCS#12 key files under `directory` (development, tests, or an agency "
                             "holding its officials' keys); remote: the CA provider's remote signing service")
    directory: Path = Field(Path("var/signing"), description="The local CA, timestamp authority and officials' "
                                                             "key files (each PKCS#12, encrypted)")
    passphrase: SecretStr = Field(SecretStr(DEV_SIGNING_PASSPHRASE),
                                  description="Opens the key files under `directory`")
    auto_provision: bool | None = Field(
        None, description="Create the development CA and issue a missing official's certificate on first "
                          "use; default: outside production only")
    tsa_url: str | None = Field(None, description="RFC 3161 timestamp authority; none: the local development "
                                                  "timestamp authority under `directory`")
    trust_roots: list[Path] = Field(default_factory=list, description="PEM certificates of the CAs whose "
                                                                      "signatures verification trusts")
    trust_dev_ca: bool | None = Field(None, description="Trust the development CA under `directory`; default: "
                                                        "outside production only")
    forms: bool = Field(True, description="Sign the forms Mẫu 01–05 as they are issued, when the official in "
                                          "their signing block is the one issuing them (never in another's "
                                          "name: a letter the agency head signs stays for the head)")
    remote: RemoteSigningSettings = RemoteSigningSettings()
