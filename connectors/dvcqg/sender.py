"""The outbox sender of the DVCQG status sync (channel `dvcqg`): one row, one call.

Row kinds:
- `dvcqg.dong_bo`: payload {"record": DossierRecord payload (no phone, no ID number), "first": bool}; a
  `DongBoHoSoMC` create (first) or replace.
- `dvcqg.tien_do`: payload {"entry": ProgressEntry payload}; a `CapNhatTienDoHoSoMC` append.

The applicant's phone and ID number are read at send time (`DvcqgRecipient`, from the relay's
`resolve_recipient`), and the file links are signed at send time (`link_for`), so a row that waited a
day still carries fresh links.

Exactly once: a replace is idempotent; a create answered "đã tồn tại" (a retry whose first answer was lost)
is sent again as a replace, and a replace answered "không tồn tại" (the create never arrived) as a create.
An uncertain attempt (the relay's `message.uncertain`: a timeout after sending, a worker that died) first
looks the dossier up with `TraCuuHoSo` and skips what DVCQG already holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from connectors.dvcqg.client import DvcqgClient
from connectors.dvcqg.errors import DvcqgAuthFailed, DvcqgRefused, DvcqgUnavailable
from connectors.dvcqg.wire import (
    DossierRecord,
    ProgressEntry,
    dong_bo_params,
    found_progress,
    found_record,
    has_entry,
    same_record,
    tien_do_params,
    tra_cuu_params,
)
from connectors.outbox.errors import ChannelUnavailable, PermanentDelivery, RetryableDelivery
from connectors.outbox.relay import UNKNOWN_OUTCOME, OutgoingMessage, Recipient, SendResult, ensure_time_to_send

log = logging.getLogger(__name__)

CHANNEL = "dvcqg"
DONG_BO = "dvcqg.dong_bo"
TIEN_DO = "dvcqg.tien_do"

# Refusals that say "try again later" rather than "this record is wrong". "-9" is the emulator's busy code;
# DVCQG's own codes are **unconfirmed**, so a message saying busy/overloaded counts too. "Could not fetch the
# file" is retried as well: the portal fetches our signed link while it checks the record, and a slow or
# briefly unreachable file server is the usual cause (each attempt signs a fresh link); a file that is truly
# gone is dead after the relay's attempts, with the portal's message.
TRANSIENT_CODES = frozenset({"-9"})
TRANSIENT_WORDS = ("bận", "thử lại", "quá tải")
FETCH_FAILED_WORDS = "không tải được"
EXISTS_WORDS = "đã tồn tại"
MISSING_WORDS = "không tồn tại"


@dataclass(frozen=True)
class DvcqgRecipient(Recipient):
    """The dossier's applicant as DVCQG records need them: decrypted at send time, never stored."""

    phone: str | None = None
    id_number: str | None = None


class DvcqgSender:
    def __init__(self, *, client: DvcqgClient, now: Callable[[], datetime],
                 link_for: Callable[[int], str]) -> None:
        self._client = client
        self._now = now
        self._link_for = link_for

    def send(self, message: OutgoingMessage, recipient: Recipient) -> SendResult:
        try:
            if message.kind == DONG_BO:
                return self._dong_bo(message, recipient)
            if message.kind == TIEN_DO:
                return self._tien_do(message)
        except DvcqgAuthFailed as exc:
            raise ChannelUnavailable(f"DVCQG refused our login: {exc}") from exc
        except DvcqgUnavailable as exc:
            outcome = f" ({UNKNOWN_OUTCOME})" if exc.maybe_applied or message.uncertain else ""
            error = RetryableDelivery(f"DVCQG unavailable: {exc}{outcome}")
            error.nothing_sent = not exc.maybe_applied
            raise error from exc
        except DvcqgRefused as exc:
            raise refusal(exc, uncertain=message.uncertain) from exc
        raise PermanentDelivery(f"unknown DVCQG outbox kind {message.kind!r}")

    # --- DongBoHoSoMC -------------------------------------------------------------------------------------

    def _dong_bo(self, message: OutgoingMessage, recipient: Recipient) -> SendResult:
        record = DossierRecord.from_payload(message.payload["record"])
        record = replace(
            record,
            phone=getattr(recipient, "phone", None), id_number=getattr(recipient, "id_number", None),
            files=tuple(replace(f, link=self._link_for(f.file_id)) for f in record.files),
            results=tuple(replace(r, link=self._link_for(r.file_id)) for r in record.results))
        updating = not bool(message.payload.get("first"))
        if message.uncertain:
            found = self._look_up(message, record.code)
            if found is not None and same_record(found, record):
                return SendResult(channel_used=CHANNEL, provider_message_id=None,
                                  note="DVCQG already held this record (an earlier attempt arrived)")
            if found is not None:
                updating = True
        try:
            self._call(message, "DongBoHoSoMC", dong_bo_params([record], updating=updating))
        except DvcqgRefused as exc:
            text = exc.message.lower()
            if not updating and EXISTS_WORDS in text:
                updating = True  # a create whose answer was lost arrived: replace it
            elif updating and MISSING_WORDS in text:
                updating = False  # the create never arrived (or died): create it now
            else:
                raise
            self._call(message, "DongBoHoSoMC", dong_bo_params([record], updating=updating))
        return SendResult(channel_used=CHANNEL, provider_message_id=None)

    # --- CapNhatTienDoHoSoMC ------------------------------------------------------------------------------

    def _tien_do(self, message: OutgoingMessage) -> SendResult:
        entry = ProgressEntry.from_payload(message.payload["entry"])
        if message.uncertain:
            reply = self._look_up_reply(message, entry.code)
            if reply is not None and has_entry(found_progress(reply), entry):
                return SendResult(channel_used=CHANNEL, provider_message_id=None,
                                  note="DVCQG already held this progress entry (an earlier attempt arrived)")
        self._call(message, "CapNhatTienDoHoSoMC", tien_do_params([entry]))
        return SendResult(channel_used=CHANNEL, provider_message_id=None)

    # --- calls --------------------------------------------------------------------------------------------

    def _look_up_reply(self, message: OutgoingMessage, code: str) -> dict | None:
        try:
            return self._call(message, "TraCuuHoSo", tra_cuu_params(code))
        except DvcqgRefused as exc:
            if exc.code in TRANSIENT_CODES:
                raise
            return None  # not found: nothing of ours arrived yet

    def _look_up(self, message: OutgoingMessage, code: str) -> dict | None:
        reply = self._look_up_reply(message, code)
        return None if reply is None else found_record(reply)

    def _call(self, message: OutgoingMessage, service: str, params: dict) -> dict:
        ensure_time_to_send(message, self._now())
        # The dossier's own agency (its MaHoSo prefix): a commune's dossiers are the commune's on DVCQG.
        return self._client.call(service, params, madonvi=message.payload.get("madonvi"))


def refusal(exc: DvcqgRefused, *, uncertain: bool) -> RetryableDelivery | PermanentDelivery:
    """A busy answer, or a file the portal could not fetch, is retried; anything else is the record's fault:
    dead, shown to administrators with DVCQG's own message, resendable once the cause is fixed."""
    text = exc.message.lower()
    suffix = f" ({UNKNOWN_OUTCOME})" if uncertain else ""
    if exc.code in TRANSIENT_CODES or any(word in text for word in TRANSIENT_WORDS):
        return RetryableDelivery(f"DVCQG busy: error_code {exc.code}: {exc.message}{suffix}")
    if FETCH_FAILED_WORDS in text:
        return RetryableDelivery(f"DVCQG could not fetch a file, retried: error_code {exc.code}: {exc.message}{suffix}")
    return PermanentDelivery(f"DVCQG từ chối (mã {exc.code}): {exc.message}")
