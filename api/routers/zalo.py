"""Zalo's webhook: verified (X-ZEvent-Signature), fresh, deduplicated on the event key, answered at once;
replies leave through the outbox after the commit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import WiringDep
from connectors.zalo.webhook import (
    WebhookEvent,
    apply_event,
    is_fresh,
    mask_phone_84,
    parse_event,
    record_event,
    verify_signature,
)
from workflows.core.db import session_scope
from workflows.core.errors import BadRequest, NotAuthenticated
from workflows.privacy import InvalidPersonalData
from workflows.wiring import Wiring
from workflows.zalo import inbound

router = APIRouter(prefix="/api/v1/zalo", tags=["zalo"])

MAX_BODY = 64 * 1024


@router.post("/webhook", summary="Sự kiện từ Zalo OA (follow, unfollow, tin nhắn, chia sẻ thông tin)",
             responses={400: {"description": "Sự kiện không hợp lệ hoặc quá cũ"},
                        401: {"description": "Sai chữ ký"}})
async def webhook(request: Request, wiring: WiringDep) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest("Sự kiện quá lớn.", code="event_too_large")
    try:
        event = parse_event(raw, phone_hash=lambda phone_84: _phone_hash(wiring, phone_84))
    except ValueError as exc:
        raise BadRequest("Sự kiện Zalo không hợp lệ.", code="invalid_event") from exc
    zalo = wiring.settings.zalo
    if not verify_signature(app_id=zalo.app_id, raw_body=raw, timestamp=event.timestamp,
                            oa_secret_key=zalo.oa_secret_key.get_secret_value(),
                            signature_header=request.headers.get("X-ZEvent-Signature", "")):
        raise NotAuthenticated("Chữ ký sự kiện không hợp lệ.", code="invalid_signature")
    if not is_fresh(event, now=wiring.clock.now()):
        raise BadRequest("Sự kiện đã quá cũ (có thể bị phát lại).", code="stale_event")
    status = await run_in_threadpool(_process, event, wiring)
    return {"status": status}


def _phone_hash(wiring: Wiring, phone_84: str) -> str:
    """The keyed hash of a phone named by a delivery event; the masked number when it is no valid number."""
    try:
        return wiring.cipher.lookup_hash("phone", phone_84)
    except InvalidPersonalData:
        return mask_phone_84(phone_84)


def _process(event: WebhookEvent, wiring: Wiring) -> str:
    """One transaction: dedupe record, Zalo user state, the domain's answer (outbox rows)."""
    now = wiring.clock.now()
    with session_scope(wiring.db) as session:
        if not record_event(session, event_key=event.key, event_name=event.event_name, user_id=event.user_id,
                            received_at=now):
            return "duplicate"  # Zalo retries a delivery it thinks failed: answer 200, do nothing twice
        # No phone_hash: a shared phone is recorded on the user only once proven (workflows/zalo/phone_proof.py).
        apply_event(session, event=event, now=now)
        inbound.handle(session, event=event, services=wiring.domain, engine=wiring.engine)
    wiring.notify_relay()
    return "ok"
