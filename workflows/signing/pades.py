"""PAdES with pyHanko: sign a PDF with a visible signature in a given box, timestamped; validate the
signatures of a PDF against trusted roots. Pure functions over bytes; which key signs is the caller's."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper, TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from workflows.signing.appearance import SignatureBox

log = logging.getLogger(__name__)

class _ClockedPdfSigner(signers.PdfSigner):
    """pyHanko's signer with the signing time given (the service's clock) instead of the machine's."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign_pdf(content: bytes, *, signer: signers.Signer, timestamper: TimeStamper | None, box: SignatureBox,
             field_name: str, reason: str, location: str, signing_time: datetime) -> bytes:
    """`content` with one more signature (PAdES baseline, SHA-256, the signer's chain embedded, a timestamp
    token in the signature when `timestamper` is given, `signing_time` as the claimed signing time). The
    signature's widget covers `box`, where the renderer printed the stamp (`stamp_lines`); its own
    appearance is transparent so the printed stamp shows through.

    The room left for the signature is pyHanko's own estimate (a dry-run signature, plus half again), made
    once per signer, chain and timestamp authority and reused: the dry run was 40 % of a signature's CPU.
    A signature that does not fit the reused room is signed again with a fresh estimate. Only for a signer
    whose key is here (`SimpleSigner`): a remote signature signed again would ask the official's phone a
    second time, and the phone, not the dry run, sets that signature's pace."""
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES)
    # A single space: pyHanko needs some text, and an empty appearance over the printed stamp.
    style = TextStampStyle(stamp_text=" ", background=None, border_width=0)
    key = _room_key(signer, timestamper)
    reserved = _ROOM.get(key)
    while True:
        pdf_signer = _ClockedPdfSigner(
            meta, signer=signer, timestamper=timestamper, stamp_style=style, signing_time=signing_time,
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=box.page, box=box.points()))
        output = io.BytesIO()
        try:
            pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(content), strict=False), output=output,
                                bytes_reserved=reserved)
        except SigningError as exc:
            if reserved is not None and "larger than expected" in str(exc):
                _ROOM.pop(key, None)
                reserved = None
                continue
            raise ValueError(f"pyHanko could not sign: {exc}") from exc
        signed = output.getvalue()
        if reserved is None and key is not None:
            if len(_ROOM) >= _ROOM_LIMIT:
                _ROOM.clear()
            _ROOM[key] = _reserved_room(signed)
        return signed


_ROOM: dict[tuple[object, ...], int] = {}  # `_room_key` → the hex digits reserved for the signature
_ROOM_LIMIT = 4096


def _room_key(signer: signers.Signer, timestamper: TimeStamper | None) -> tuple[object, ...] | None:
    """What the size of a signature container depends on: the signer's certificate, the certificates it
    embeds, and the timestamp authority (its address, or the local one's certificate). None when the room is
    not to be reused: a remote signer, or no certificate (pyHanko then says so itself)."""
    if not isinstance(signer, signers.SimpleSigner) or signer.signing_cert is None:
        return None
    chain = tuple(sorted(cert.sha256 for cert in signer.cert_registry)) if signer.cert_registry else ()
    if timestamper is None:
        authority: object = None
    elif isinstance(timestamper, HTTPTimeStamper):
        authority = timestamper.url
    elif isinstance(timestamper, DummyTimeStamper):
        authority = timestamper.tsa_cert.sha256
    else:
        return None
    return (signer.signing_cert.sha256, chain, authority)


def _reserved_room(signed: bytes) -> int:
    """The hex digits the last signature of `signed` was given: between its /ByteRange's first range's end
    and second range's start lie `<`, the digits and `>`."""
    ranges = re.findall(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+\d+\s*\]", signed)
    first_end, second_start = (int(value) for value in ranges[-1])
    return second_start - first_end - 2


@dataclass(frozen=True)
class SignatureReport:
    """One signature of a PDF as validation found it."""

    field_name: str
    signer_name: str
    signer_title: str
    organization: str
    signed_at: datetime | None  # the timestamp authority's time when there is a token, else the claimed time
    timestamped: bool
    intact: bool  # the signed bytes hash to what was signed
    valid: bool  # the signature value checks with the certificate
    trusted: bool  # the certificate chains to a trusted root
    covers_whole_file: bool  # nothing was appended after it (or only what a later signature adds)
    certificate_sha256: str


def validate(content: bytes, *, trust_roots: list[asn1_x509.Certificate]) -> list[SignatureReport]:
    """Every signature of `content`, validated against `trust_roots`; [] when it has none. Raises ValueError
    when `content` is not a PDF pyHanko can read."""
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - whatever a damaged file raises, it is not a PDF we can read
        raise ValueError(f"unreadable PDF: {exc}") from exc
    reports = []
    for signature in embedded:
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context)
        except Exception as exc:  # noqa: BLE001 - a signature that cannot be validated is not valid
            log.info("signature %s not validated: %s", signature.field_name, exc)
            reports.append(SignatureReport(signature.field_name, "", "", "", None, False, False, False, False, False,
                                           ""))
            continue
        cert = status.signing_cert
        subject = cert.subject.native if cert is not None else {}
        covers = status.coverage is SignatureCoverageLevel.ENTIRE_FILE
        token = status.timestamp_validity
        reports.append(SignatureReport(
            field_name=signature.field_name,
            signer_name=str(subject.get("common_name", "")),
            signer_title=str(subject.get("title", "")),
            organization=str(subject.get("organization_name", "")),
            signed_at=token.timestamp if token is not None else status.signer_reported_dt,
            timestamped=token is not None and token.intact and token.valid,
            intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
            covers_whole_file=covers,
            certificate_sha256=cert.sha256.hex() if cert is not None else "",
        ))
    return reports
