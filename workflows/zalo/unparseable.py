"""A webhook body Zalo signed that is no event we can read (not JSON, no `event_name`, a timestamp that is
no epoch): recorded and acknowledged, since a refused delivery is retried for hours and then disables the
webhook (ZALO_API.md §8.3). Only the signature makes it worth keeping: the signed `timestamp` is read from
the raw bytes (§8.4), and a body without one, or with a wrong signature, is refused as before."""

from __future__ import annotations

import hashlib
import logging
import re

from sqlmodel import Session

from connectors.zalo.webhook import record_event, verify_signature
from workflows.collaborators import DomainServices
from workflows.core.errors import BadRequest, NotAuthenticated

log = logging.getLogger(__name__)

EVENT_NAME = "unparseable"
_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,20})')


def receive(session: Session, *, raw: bytes, signature: str, services: DomainServices, error: Exception) -> str:
    """Record the signed but unreadable body (by its SHA-256: nothing of its content is kept, it may hold
    personal data we cannot mask) and answer "unparseable" ("duplicate" when seen before). Raises
    `BadRequest` when no timestamp can be read (it cannot be checked) and `NotAuthenticated` for a wrong
    signature."""
    found = _TIMESTAMP.search(raw)
    if found is None:
        raise BadRequest("Sự kiện Zalo không hợp lệ.", code="invalid_event") from error
    zalo = services.settings.zalo
    if not verify_signature(app_id=zalo.app_id, raw_body=raw, timestamp=found.group(1).decode(),
                            oa_secret_key=zalo.oa_secret_key.get_secret_value(), signature_header=signature):
        raise NotAuthenticated("Chữ ký sự kiện không hợp lệ.", code="invalid_signature")
    digest = hashlib.sha256(raw).hexdigest()
    log.warning("zalo webhook: a signed event we cannot read (%s), recorded as %s", error, digest[:12])
    recorded = record_event(session, event_key=f"{EVENT_NAME}:{digest}", event_name=EVENT_NAME, user_id=None,
                            received_at=services.clock.now())
    return EVENT_NAME if recorded else "duplicate"
